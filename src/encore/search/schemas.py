"""Search answers on the wire: `{"tracks": {"items": [...], "total": N}, "artists": ...}`."""

from typing import Any, Self

import orjson
from pydantic import Field

from encore.api.schemas import ResponseBody
from encore.catalog.model import Ref
from encore.catalog.schemas import RefRead
from encore.search.model import Kind, SearchDocument, SearchResults, Suggestion


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


def _refs_json(document: SearchDocument) -> list[dict[str, str]]:
    return [{"id": a.id, "name": a.name} for a in document.artists]


def _item_json(d: SearchDocument) -> dict[str, Any]:
    if d.kind is Kind.TRACK:
        album = d.album or Ref("", "")
        return {
            "id": d.id,
            "name": d.name,
            "artists": _refs_json(d),
            "album": {"id": album.id, "name": album.name},
            "duration_ms": d.duration_ms,
            "popularity": d.popularity,
        }
    if d.kind is Kind.ARTIST:
        return {"id": d.id, "name": d.name, "popularity": d.popularity}
    if d.kind is Kind.ALBUM:
        return {
            "id": d.id,
            "name": d.name,
            "artists": _refs_json(d),
            "release_year": d.year,
            "popularity": d.popularity,
        }
    owner = {"id": d.owner.id, "display_name": d.owner.name} if d.owner else None
    return {
        "id": d.id,
        "name": d.name,
        "owner": owner,
        "public": d.public,
        "followers": d.followers,
    }


def render(results: SearchResults) -> bytes:
    """The answer as `SearchRead` describes it, written straight to JSON: this is the busiest
    route of typeahead, and building models first would cost more than the search."""
    body = {
        f"{kind.value}s": {
            "items": [_item_json(item) for item in page.items],
            "total": page.total,
        }
        for kind, page in results.pages.items()
    }
    return orjson.dumps(body)


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
