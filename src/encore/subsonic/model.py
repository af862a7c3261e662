"""What the Subsonic facade keeps of its own, and the catalog lists it reads."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from encore.catalog.model import Album, Artist, Ref


class ItemKind(StrEnum):
    TRACK = "track"
    ALBUM = "album"
    ARTIST = "artist"


@dataclass(frozen=True, slots=True)
class Credential:
    """A listener's Subsonic password (sealed) and OpenSubsonic API key (its SHA-256)."""

    user_id: str
    username: str
    sealed_password: str
    api_key_hash: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    """What the listener is shown once, when the credential is made."""

    username: str
    password: str
    api_key: str
    created_at: datetime


class AlbumOrder(StrEnum):
    """getAlbumList2's `type`."""

    RANDOM = "random"
    NEWEST = "newest"
    FREQUENT = "frequent"
    RECENT = "recent"
    STARRED = "starred"
    HIGHEST = "highest"
    BY_NAME = "alphabeticalByName"
    BY_ARTIST = "alphabeticalByArtist"
    BY_YEAR = "byYear"
    BY_GENRE = "byGenre"


@dataclass(frozen=True, slots=True)
class AlbumEntry:
    album: Album
    artists: tuple[Ref, ...]
    song_count: int
    duration_ms: int
    genre: str | None
    play_count: int = 0


@dataclass(frozen=True, slots=True)
class ArtistEntry:
    artist: Artist
    album_count: int


@dataclass(frozen=True, slots=True)
class GenreCount:
    name: str
    song_count: int
    album_count: int


@dataclass(frozen=True, slots=True)
class YearSpan:
    """byYear's range; `first` after `last` lists newest first, as the protocol says."""

    first: int
    last: int
