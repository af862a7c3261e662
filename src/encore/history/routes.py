"""The player's reports: listening events, now playing, recently played."""

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response, status
from pydantic import ValidationError

from encore.api.deps import CurrentPrincipal, ServicesDep
from encore.catalog.routes import media_signer
from encore.history.model import EventStatus, PlayerEvent, Verdict
from encore.history.schemas import (
    EventBatch,
    EventBatchRead,
    EventIn,
    NowPlayingIn,
    NowPlayingRead,
    RecentlyPlayedRead,
)
from encore.history.service import ListeningService

router = APIRouter(prefix="/api/v1/me/player", tags=["player"])
EVENTS_PATH = "/api/v1/me/player/events"
_NOT_TAKEN = (Verdict.REJECTED, Verdict.DUPLICATE)
LATEST_CURSOR_MS = 4_102_444_800_000  # 2100-01-01


@router.post(
    "/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses={202: {"model": EventBatchRead}},
)
def post_events(body: EventBatch, principal: CurrentPrincipal, services: ServicesDep) -> Response:
    """Durably logged before the answer; history and counts follow within moments."""
    answer = answer_batch(services.listening, principal.user_id, body.events)
    return Response(answer, status_code=status.HTTP_202_ACCEPTED, media_type="application/json")


def answer_batch(listening: ListeningService, user_id: str, raws: list[Any]) -> bytes:
    """Check and log a batch; the 202 answer's body (`EventBatchRead`) as JSON. Shared with
    the fast path, which skips the framework for the same work."""
    parsed: list[PlayerEvent | EventStatus] = []
    for raw in raws:
        try:
            parsed.append(EventIn.model_validate(raw).to_event())
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            given = raw.get("id") if isinstance(raw, dict) else None
            client_id = given if isinstance(given, str) else None
            reason = f"malformed: {where}: {problem['msg']}"
            parsed.append(EventStatus(client_id, Verdict.REJECTED, reason))
    events = [item for item in parsed if isinstance(item, PlayerEvent)]
    checked = iter(listening.record(user_id=user_id, events=events))
    statuses = [item if isinstance(item, EventStatus) else next(checked) for item in parsed]
    rejected = sum(s.status in _NOT_TAKEN for s in statuses)
    return orjson.dumps(
        {
            "accepted": len(statuses) - rejected,
            "rejected": rejected,
            "events": [{"id": s.id, "status": s.status, "reason": s.reason} for s in statuses],
        }
    )


@router.put("/now-playing", status_code=status.HTTP_204_NO_CONTENT)
def put_now_playing(body: NowPlayingIn, principal: CurrentPrincipal, services: ServicesDep) -> None:
    services.listening.set_now_playing(
        user_id=principal.user_id,
        track_id=body.track_id,
        progress_ms=body.progress_ms,
        is_playing=body.is_playing,
        context_type=body.context.type if body.context else None,
        context_id=body.context.id if body.context else None,
        device=body.device,
    )


@router.get(
    "/now-playing",
    response_model=NowPlayingRead,
    responses={204: {"description": "Nothing played in the last hour"}},
)
def get_now_playing(
    principal: CurrentPrincipal, services: ServicesDep
) -> NowPlayingRead | Response:
    playing = services.listening.now_playing(user_id=principal.user_id)
    if playing is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return NowPlayingRead.of(playing)


@router.get("/recently-played")
def recently_played(
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    before: Annotated[
        int | None,
        Query(ge=0, le=LATEST_CURSOR_MS, description="Unix ms: only plays before it"),
    ] = None,
) -> RecentlyPlayedRead:
    cutoff = datetime.fromtimestamp(before / 1000, UTC) if before is not None else None
    rows = services.listening.recently_played(user_id=principal.user_id, limit=limit, before=cutoff)
    return RecentlyPlayedRead.of(rows, media_signer(services), limit=limit)
