"""What search indexes and answers: one document per track, artist, album or playlist."""

from dataclasses import dataclass, field
from enum import StrEnum

from encore.catalog.model import Ref


class Kind(StrEnum):
    TRACK = "track"
    ARTIST = "artist"
    ALBUM = "album"
    PLAYLIST = "playlist"


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One searchable thing, with what an answer shows of it (no database read is needed).

    `name` is a track's title, an artist's, album's or playlist's name. `artists` are a track's or
    album's artists; `album` a track's album. A playlist carries its owner and visibility."""

    kind: Kind
    id: str
    name: str
    popularity: int = 0
    artists: tuple[Ref, ...] = ()
    album: Ref | None = None
    duration_ms: int = 0
    genres: tuple[str, ...] = ()
    year: int | None = None
    owner: Ref | None = None
    public: bool = True
    followers: int = 0

    @property
    def context(self) -> str:
        """What else the document is found by besides its name: artists, or a playlist's owner."""
        names = [a.name for a in self.artists]
        if self.owner is not None:
            names.append(self.owner.name)
        return " ".join(names)


@dataclass(frozen=True, slots=True)
class YearRange:
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str
    kinds: tuple[Kind, ...] = tuple(Kind)
    limit: int = 20
    offset: int = 0
    genre: str | None = None
    years: YearRange | None = None
    # Who asks: their own private playlists are found too.
    viewer_id: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple[SearchDocument, ...] = ()
    total: int = 0


@dataclass(frozen=True, slots=True)
class SearchResults:
    pages: dict[Kind, Page] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Suggestion:
    text: str
    kind: Kind
    id: str
