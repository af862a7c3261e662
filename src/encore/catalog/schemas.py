"""The catalog on the wire, in the shape of Spotify's Web API where it has one."""

from collections.abc import Callable
from typing import Self

from pydantic import Field

from encore.api.schemas import ResponseBody
from encore.catalog.model import (
    Album,
    AlbumDetail,
    AlbumType,
    ArtistDetail,
    Quality,
    Ref,
    TrackDetail,
)

# Turns a media key into a signed URL (path and query, relative to the API's origin).
SignMedia = Callable[[str], str]


def album_cover_url(album_id: str) -> str:
    """Where an album's art is served (`GET /api/v1/albums/{id}/cover`, public)."""
    return f"/api/v1/albums/{album_id}/cover"


class RefRead(ResponseBody):
    id: str
    name: str

    @classmethod
    def of(cls, ref: Ref) -> Self:
        return cls(id=ref.id, name=ref.name)


class TrackRead(ResponseBody):
    id: str
    name: str
    artists: list[RefRead]
    album: RefRead
    duration_ms: int
    popularity: int
    explicit: bool
    isrc: str | None
    genres: list[str]
    disc_number: int
    track_number: int | None
    available_countries: list[str] | None
    streamable: bool = Field(description="False for a track known from a feed, without audio")
    qualities: list[Quality] = Field(description="Qualities the track has audio for")
    preview_url: str | None = Field(
        description="A 30-second clip anyone signed in may play: a signed URL relative to "
        "this API's origin, good for an hour"
    )

    @classmethod
    def of(cls, detail: TrackDetail, sign: SignMedia) -> Self:
        track = detail.track
        return cls(
            id=track.id,
            name=track.title,
            artists=[RefRead.of(a) for a in detail.artists],
            album=RefRead.of(detail.album),
            duration_ms=track.duration_ms,
            popularity=track.popularity,
            explicit=track.explicit,
            isrc=track.isrc,
            genres=list(track.genres),
            disc_number=track.disc_number,
            track_number=track.track_number,
            available_countries=(
                sorted(track.available_countries) if track.available_countries is not None else None
            ),
            streamable=bool(detail.qualities),
            qualities=list(detail.qualities),
            preview_url=sign(detail.preview_path) if detail.preview_path else None,
        )


class AlbumSummary(ResponseBody):
    id: str
    name: str
    album_type: AlbumType
    release_date: str | None
    release_date_precision: str | None
    total_tracks: int

    @classmethod
    def of(cls, album: Album) -> Self:
        return cls(
            id=album.id,
            name=album.name,
            album_type=album.album_type,
            release_date=album.release_date_text,
            release_date_precision=album.release_date_precision,
            total_tracks=album.total_tracks,
        )


class TrackPage(ResponseBody):
    items: list[TrackRead]
    total: int


class AlbumRead(AlbumSummary):
    artists: list[RefRead]
    label: str | None
    upc: str | None
    genres: list[str]
    tracks: TrackPage

    @classmethod
    def of_detail(cls, detail: AlbumDetail, sign: SignMedia) -> Self:
        summary = AlbumSummary.of(detail.album)
        return cls(
            **summary.model_dump(),
            artists=[RefRead.of(a) for a in detail.artists],
            label=detail.album.label,
            upc=detail.album.upc,
            genres=list(detail.genres),
            tracks=TrackPage(
                items=[TrackRead.of(t, sign) for t in detail.tracks], total=len(detail.tracks)
            ),
        )


class ArtistRead(ResponseBody):
    id: str
    name: str
    genres: list[str]
    albums: list[AlbumSummary]
    top_tracks: list[TrackRead]

    @classmethod
    def of(cls, detail: ArtistDetail, sign: SignMedia) -> Self:
        return cls(
            id=detail.artist.id,
            name=detail.artist.name,
            genres=list(detail.genres),
            albums=[AlbumSummary.of(a) for a in detail.albums],
            top_tracks=[TrackRead.of(t, sign) for t in detail.top_tracks],
        )
