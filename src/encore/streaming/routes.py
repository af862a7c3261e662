"""GET /api/v1/tracks/{track_id}/stream: a signed URL to play a track.

`encore.api.fast_path.StreamFastPath` answers warm requests before FastAPI routes them; this
route is the single source of the behaviour and of every error, and warms the caches.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from encore.api.deps import CurrentPrincipal, ServicesDep
from encore.catalog.model import Quality
from encore.catalog.routes import EntityId
from encore.streaming.schemas import StreamRead, stream_json

router = APIRouter(prefix="/api/v1", tags=["streaming"])


@router.get(
    "/tracks/{track_id}/stream",
    response_class=Response,
    responses={200: {"model": StreamRead}},
)
async def stream_track(
    track_id: EntityId,
    principal: CurrentPrincipal,
    services: ServicesDep,
    request: Request,
    quality: Annotated[Quality, Query()] = Quality.HIGH,
) -> Response:
    """Very high and lossless need a paid plan (403); a track not licensed in the listener's
    country answers 451; a quality the track lacks falls back to the nearest lower one."""
    grant = await run_in_threadpool(
        services.streams.grant,
        user_id=principal.user_id,
        track_id=track_id,
        quality=quality,
        default_origin=str(request.base_url),
    )
    return Response(stream_json(grant), media_type="application/json")
