"""Discover Weekly, Daily Mix, Release Radar and radio over HTTP."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from encore.api.deps import CurrentPrincipal, ServicesDep
from encore.catalog.routes import media_signer
from encore.recommend.domain import StoredPlaylist
from encore.recommend.schemas import (
    DailyMixesRead,
    GeneratedPlaylistRead,
    RadioCreate,
    RadioNextRead,
    StationRead,
)

router = APIRouter(prefix="/api/v1", tags=["recommendations"])
StationId = Annotated[str, Path(min_length=1, max_length=64)]


def _read(services: ServicesDep, view: StoredPlaylist) -> GeneratedPlaylistRead:
    details = services.catalog.get_tracks(list(view.track_ids))
    return GeneratedPlaylistRead.of(view, details, media_signer(services))


@router.get("/playlists/discover-weekly")
def discover_weekly(principal: CurrentPrincipal, services: ServicesDep) -> GeneratedPlaylistRead:
    return _read(services, services.recommend.discover_weekly(user_id=principal.user_id))


@router.get("/me/daily-mixes")
def daily_mixes(principal: CurrentPrincipal, services: ServicesDep) -> DailyMixesRead:
    views = services.recommend.daily_mixes(user_id=principal.user_id)
    return DailyMixesRead(items=[_read(services, view) for view in views])


@router.get("/me/release-radar")
def release_radar(principal: CurrentPrincipal, services: ServicesDep) -> GeneratedPlaylistRead:
    return _read(services, services.recommend.release_radar(user_id=principal.user_id))


@router.post("/radio", status_code=status.HTTP_201_CREATED)
def start_radio(
    body: RadioCreate, principal: CurrentPrincipal, services: ServicesDep
) -> StationRead:
    station = services.radio.start(
        user_id=principal.user_id, seed_type=body.seed_type, seed_id=body.seed_id
    )
    return StationRead.of(station)


@router.get("/radio/{station_id}/next")
def radio_next(
    station_id: StationId,
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> RadioNextRead:
    batch = services.radio.next(user_id=principal.user_id, station_id=station_id, limit=limit)
    details = services.catalog.get_tracks(list(batch.track_ids))
    return RadioNextRead.of(batch, details, media_signer(services))
