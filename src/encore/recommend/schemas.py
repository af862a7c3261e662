"""Personalized playlists and radio on the wire."""

from datetime import datetime
from typing import Literal, Self

from pydantic import Field

from encore.api.schemas import RequestBody, ResponseBody
from encore.catalog.model import TrackDetail
from encore.catalog.schemas import SignMedia, TrackRead
from encore.recommend.domain import StoredPlaylist
from encore.recommend.radio import RadioBatch, SeedType, Station

SourceField = Field(
    description="'model': made for the listener from their taste; 'popularity': what is "
    "popular in their country (too little history yet, or no model)"
)


class GeneratedPlaylistRead(ResponseBody):
    id: str | None = Field(description="None for a fallback made on the spot and not stored")
    name: str
    description: str
    tracks: list[TrackRead]
    generated_at: datetime
    expires_at: datetime
    source: Literal["model", "popularity"] = SourceField

    @classmethod
    def of(cls, view: StoredPlaylist, details: dict[str, TrackDetail], sign: SignMedia) -> Self:
        return cls(
            id=view.id,
            name=view.name,
            description=view.description,
            tracks=[TrackRead.of(details[t], sign) for t in view.track_ids if t in details],
            generated_at=view.generated_at,
            expires_at=view.expires_at,
            source=view.source.value,
        )


class DailyMixesRead(ResponseBody):
    items: list[GeneratedPlaylistRead]


class RadioCreate(RequestBody):
    seed_type: SeedType = Field(description="What the station starts from")
    seed_id: str = Field(min_length=22, max_length=22, pattern=r"^[0-9A-Za-z]{22}$")


class StationRead(ResponseBody):
    id: str
    name: str
    seed_type: SeedType
    seed_id: str
    created_at: datetime
    next_url: str

    @classmethod
    def of(cls, station: Station) -> Self:
        return cls(
            id=station.id,
            name=station.name,
            seed_type=station.seed_type,
            seed_id=station.seed_id,
            created_at=station.created_at,
            next_url=f"/api/v1/radio/{station.id}/next",
        )


class RadioNextRead(ResponseBody):
    station_id: str
    tracks: list[TrackRead]
    source: Literal["model", "popularity"] = SourceField

    @classmethod
    def of(cls, batch: RadioBatch, details: dict[str, TrackDetail], sign: SignMedia) -> Self:
        return cls(
            station_id=batch.station_id,
            tracks=[TrackRead.of(details[t], sign) for t in batch.track_ids if t in details],
            source=batch.source.value,
        )
