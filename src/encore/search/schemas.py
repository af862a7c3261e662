"""Search answers on the wire: `{"tracks": {"items": [...], "total": N}, "artists": ...}`."""

from typing import Self

from pydantic import Field

from encore.api.schemas import ResponseBody
from encore.catalog.schemas import RefRead
from encore.search.model import Kind, Page, SearchDocument, SearchResults, Suggestion


class TrackHit(ResponseBody):
    id: str
    name: str
    artists: list[RefRead]
    album: RefRead
    duration_ms: int
    popularity: int


class ArtistHit(ResponseBody):
    id: str
    name: str
    popularity: int


class AlbumHit(ResponseBody):
    id: str
    name: str
    artists: list[RefRead]
    release_year: int | None
    popularity: int


class OwnerRead(ResponseBody):
    id: str
    display_name: str


class PlaylistHit(ResponseBody):
    id: str
    name: str
    owner: OwnerRead | None
    public: bool
    followers: int


def _refs(document: SearchDocument) -> list[RefRead]:
    return [RefRead.of(artist) for artist in document.artists]


def _track(d: SearchDocument) -> TrackHit:
    album = RefRead.of(d.album) if d.album else RefRead(id="", name="")
    return TrackHit(
        id=d.id,
        name=d.name,
        artists=_refs(d),
        album=album,
        duration_ms=d.duration_ms,
        popularity=d.popularity,
    )


def _artist(d: SearchDocument) -> ArtistHit:
    return ArtistHit(id=d.id, name=d.name, popularity=d.popularity)


def _album(d: SearchDocument) -> AlbumHit:
    return AlbumHit(
        id=d.id, name=d.name, artists=_refs(d), release_year=d.year, popularity=d.popularity
    )


def _playlist(d: SearchDocument) -> PlaylistHit:
    owner = OwnerRead(id=d.owner.id, display_name=d.owner.name) if d.owner else None
    return PlaylistHit(id=d.id, name=d.name, owner=owner, public=d.public, followers=d.followers)


class TrackPage(ResponseBody):
    items: list[TrackHit]
    total: int


class ArtistPage(ResponseBody):
    items: list[ArtistHit]
    total: int


class AlbumPage(ResponseBody):
    items: list[AlbumHit]
    total: int


class PlaylistPage(ResponseBody):
    items: list[PlaylistHit]
    total: int


class SearchRead(ResponseBody):
    """One page per type asked for; the others are left out."""

    tracks: TrackPage | None = None
    artists: ArtistPage | None = None
    albums: AlbumPage | None = None
    playlists: PlaylistPage | None = None

    @classmethod
    def of(cls, results: SearchResults) -> Self:
        def page(kind: Kind) -> Page | None:
            return results.pages.get(kind)

        tracks, artists, albums, playlists = (
            page(Kind.TRACK),
            page(Kind.ARTIST),
            page(Kind.ALBUM),
            page(Kind.PLAYLIST),
        )
        return cls(
            tracks=TrackPage(items=[_track(d) for d in tracks.items], total=tracks.total)
            if tracks
            else None,
            artists=ArtistPage(items=[_artist(d) for d in artists.items], total=artists.total)
            if artists
            else None,
            albums=AlbumPage(items=[_album(d) for d in albums.items], total=albums.total)
            if albums
            else None,
            playlists=PlaylistPage(
                items=[_playlist(d) for d in playlists.items], total=playlists.total
            )
            if playlists
            else None,
        )


class SuggestionRead(ResponseBody):
    text: str
    type: Kind
    id: str

    @classmethod
    def of(cls, suggestion: Suggestion) -> Self:
        return cls(text=suggestion.text, type=suggestion.kind, id=suggestion.id)


class SuggestRead(ResponseBody):
    suggestions: list[SuggestionRead] = Field(
        description="Completions across types, the best of each type in turn"
    )
