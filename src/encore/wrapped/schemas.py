"""Wrapped on the wire: the stored document, as `encore.wrapped.model.Wrapped` serialises."""

from pydantic import Field

from encore.api.schemas import ResponseBody


class RankedRead(ResponseBody):
    id: str | None
    name: str
    plays: int
    minutes: int


class PersonalityRead(ResponseBody):
    name: str
    description: str
    signals: dict[str, float] = Field(
        description="Shares from 0 to 1: discovery (minutes on artists new that year), "
        "top_artist, night (22:00-04:00 UTC), skips, completed"
    )


class WrappedRead(ResponseBody):
    year: int
    minutes_listened: int
    plays: int
    top_tracks: list[RankedRead]
    top_artists: list[RankedRead]
    top_genres: list[RankedRead]
    distinct_artists: int
    top_discoveries: list[RankedRead] = Field(description="Artists first heard that year")
    minutes_by_hour: list[int] = Field(description="24 values, hour 0 to 23 UTC")
    minutes_by_month: list[int] = Field(description="12 values, January to December")
    personality: PersonalityRead
