"""The player's reports: listening events, now playing, recently played."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import ValidationError

from encore.api.deps import CurrentPrincipal, ServicesDep
from encore.catalog.routes import media_signer
from encore.history.model import EventStatus, PlayerEvent, Verdict
from encore.history.schemas import (
    EventBatch,
    EventBatchRead,
    EventIn,
    EventStatusRead,
    NowPlayingIn,
    NowPlayingRead,
    RecentlyPlayedRead,
)

router = APIRouter(prefix="/api/v1/me/player", tags=["player"])


@router.post("/events", status_code=status.HTTP_202_ACCEPTED)
def post_events(
    body: EventBatch, principal: CurrentPrincipal, services: ServicesDep
) -> EventBatchRead:
    """Durably logged before the answer; history and counts follow within moments."""
    parsed: list[PlayerEvent | EventStatus] = []
    for raw in body.events:
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
    checked = iter(services.listening.record(user_id=principal.user_id, events=events))
    statuses = [item if isinstance(item, EventStatus) else next(checked) for item in parsed]
    rejected = sum(s.status in (Verdict.REJECTED, Verdict.DUPLICATE) for s in statuses)
    return EventBatchRead(
        accepted=len(statuses) - rejected,
        rejected=rejected,
        events=[EventStatusRead.of(s) for s in statuses],
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
        int | None, Query(ge=0, le=2**53, description="Unix ms: only plays before it")
    ] = None,
) -> RecentlyPlayedRead:
    cutoff = datetime.fromtimestamp(before / 1000, UTC) if before is not None else None
    rows = services.listening.recently_played(user_id=principal.user_id, limit=limit, before=cutoff)
    return RecentlyPlayedRead.of(rows, media_signer(services), limit=limit)
