"""What the Subsonic facade needs beyond Encore's services: lists over the catalog, the marks
only Subsonic clients make (starred albums, ratings), credentials and similar tracks."""

from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from encore.subsonic.model import (
    AlbumEntry,
    AlbumOrder,
    ArtistEntry,
    Credential,
    GenreCount,
    ItemKind,
    YearSpan,
)


class CredentialStore(Protocol):
    def get(self, user_id: str) -> Credential | None: ...
    def get_by_username(self, username: str) -> Credential | None: ...
    def get_by_api_key_hash(self, api_key_hash: str) -> Credential | None: ...
    def put(self, credential: Credential) -> None:
        """Add the listener's credential, replacing the one they had."""
        ...

    def delete(self, user_id: str) -> Credential | None:
        """Remove the listener's credential; the one removed, if any."""
        ...


class Browsing(Protocol):
    """Lists over the whole catalog, paged, as Subsonic clients browse and sync it."""

    def artists(self, *, limit: int, offset: int) -> list[ArtistEntry]:
        """Artists that have albums, by sort name."""
        ...

    def artist_entries(self, artist_ids: Collection[str]) -> dict[str, ArtistEntry]: ...
    def artist_id_by_name(self, name: str) -> str | None: ...
    def album_entries(self, album_ids: Collection[str]) -> dict[str, AlbumEntry]: ...
    def album_years(self, album_ids: Collection[str]) -> dict[str, int]:
        """The release year of each of the albums that has one."""
        ...

    def albums_by_artist(self, artist_id: str) -> list[AlbumEntry]:
        """Oldest release first."""
        ...

    def album_list(
        self,
        order: AlbumOrder,
        *,
        limit: int,
        offset: int,
        user_id: str,
        genre: str | None = None,
        years: YearSpan | None = None,
    ) -> list[AlbumEntry]: ...
    def album_page(self, *, limit: int, offset: int) -> list[AlbumEntry]:
        """Every album in key order, a page at a time (for a client syncing the library: no
        sort over the whole catalog per page)."""
        ...

    def genres(self) -> list[GenreCount]: ...
    def track_ids(
        self,
        *,
        limit: int,
        offset: int,
        genre: str | None = None,
        years: YearSpan | None = None,
        random: bool = False,
        keyed: bool = False,
    ) -> list[str]:
        """Tracks by title (at random, or in key order for syncing), optionally of one genre or
        a span of years."""
        ...

    def top_track_ids(self, artist_id: str, *, limit: int) -> list[str]:
        """The artist's tracks, most popular first."""
        ...

    def kinds(self, ids: Collection[str]) -> dict[str, ItemKind]:
        """What each id that exists names."""
        ...

    def play_counts(self, track_ids: Collection[str]) -> dict[str, int]: ...


class Marks(Protocol):
    """A listener's stars and ratings. Starred tracks are the library's likes and starred
    artists its follows: those are written through the library service and only read here."""

    def liked(self, user_id: str, track_ids: Collection[str] | None) -> dict[str, datetime]:
        """When each of the tracks (all liked tracks, for None) was liked."""
        ...

    def followed_artists(
        self, user_id: str, artist_ids: Collection[str] | None
    ) -> dict[str, datetime]: ...
    def starred_albums(
        self, user_id: str, album_ids: Collection[str] | None
    ) -> dict[str, datetime]: ...
    def star_albums(self, user_id: str, album_ids: Collection[str], at: datetime) -> None: ...
    def unstar_albums(self, user_id: str, album_ids: Collection[str]) -> None: ...
    def ratings(self, user_id: str, ids: Collection[str]) -> dict[str, int]: ...
    def set_rating(
        self, user_id: str, kind: ItemKind, target_id: str, rating: int, at: datetime
    ) -> None:
        """Rate 1 to 5; 0 removes the rating."""
        ...


class SimilarTracks(Protocol):
    """Tracks like a seed. Answered now from popularity, genres and artists; the recommender
    (issue 7) is meant to stand behind this same port."""

    def similar_to_artist(self, artist_id: str, *, limit: int) -> Sequence[str]: ...
    def similar_to_track(self, track_id: str, *, limit: int) -> Sequence[str]: ...


class LiveAudio(Protocol):
    """Audio made while it is sent (no length known ahead, no ranges)."""

    def stream(
        self, source: Path, *, offset_s: int, target: str | None, bitrate_kbps: int | None
    ) -> AsyncIterator[bytes]:
        """The file from `offset_s` seconds on; copied as it is (`target` None) or encoded as
        `target` ('mp3', 'opus', 'aac') at about `bitrate_kbps`."""
        ...


class CoverScaler(Protocol):
    def scale(self, data: bytes, size: int) -> bytes:
        """The image at most `size` pixels wide and high, as JPEG; raises ValueError when the
        data is no image it can read."""
        ...
