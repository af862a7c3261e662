"""Catalog lists and entries remembered for a minute, as the main API keeps its documents: a
Subsonic client pages through the same album lists and shows the same albums again and again.

What a catalog change touches is dropped at once (the lists all of them); plays and the like
that move without a catalog change are at most `ttl_s` old.
"""

import threading
import time
from collections.abc import Callable, Collection, Hashable
from typing import Generic, TypeVar

from encore.catalog.model import TrackDetail
from encore.catalog.service import CatalogChange
from encore.subsonic.model import (
    AlbumEntry,
    AlbumOrder,
    ArtistEntry,
    GenreCount,
    ItemKind,
    YearSpan,
)
from encore.subsonic.ports import Browsing

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
TTL_S = 60.0
MAX_ENTRIES = 100_000
# Orders that are the same for every listener, so one copy serves them all.
SHARED_ORDERS = frozenset(
    {
        AlbumOrder.NEWEST,
        AlbumOrder.BY_NAME,
        AlbumOrder.BY_ARTIST,
        AlbumOrder.BY_YEAR,
        AlbumOrder.BY_GENRE,
        AlbumOrder.FREQUENT,
    }
)


class Remembered(Generic[K, T]):
    def __init__(
        self,
        *,
        ttl_s: float = TTL_S,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl_s = ttl_s
        self._max = max_entries
        self._clock = clock
        self._values: dict[K, tuple[float, T]] = {}
        self._lock = threading.Lock()

    def get_many(self, keys: Collection[K], load: Callable[[list[K]], dict[K, T]]) -> dict[K, T]:
        """The values of `keys` that exist; those not remembered (or too old) from `load`."""
        now = self._clock()
        found: dict[K, T] = {}
        missing: list[K] = []
        for key in dict.fromkeys(keys):
            held = self._values.get(key)
            if held is not None and held[0] > now:
                found[key] = held[1]
            else:
                missing.append(key)
        if missing:
            loaded = load(missing)
            with self._lock:
                if len(self._values) + len(loaded) > self._max:
                    self._values.clear()
                until = now + self._ttl_s
                self._values.update({key: (until, value) for key, value in loaded.items()})
            found.update(loaded)
        return found

    def get(self, key: K, load: Callable[[], T]) -> T:
        return self.get_many([key], lambda _: {key: load()})[key]

    def forget(self, keys: Collection[K]) -> None:
        with self._lock:
            for key in keys:
                self._values.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


class RememberedBrowsing:
    """`Browsing` with its shared lists and entries remembered; per-listener lists (recent,
    starred, highest) and random ones are always read."""

    def __init__(self, browsing: Browsing, *, ttl_s: float = TTL_S) -> None:
        self._browsing = browsing
        self._albums: Remembered[str, AlbumEntry] = Remembered(ttl_s=ttl_s)
        self._artists: Remembered[str, ArtistEntry] = Remembered(ttl_s=ttl_s)
        self._years: Remembered[str, int | None] = Remembered(ttl_s=ttl_s)
        self._artist_pages: Remembered[tuple[int, int], list[ArtistEntry]] = Remembered(ttl_s=ttl_s)
        self._album_lists: Remembered[tuple[object, ...], list[str]] = Remembered(ttl_s=ttl_s)
        self._genres: Remembered[str, list[GenreCount]] = Remembered(ttl_s=ttl_s)

    def catalog_changed(self, change: CatalogChange) -> None:
        self._albums.forget(change.album_ids)
        self._years.forget(change.album_ids)
        self._artists.forget(change.artist_ids)
        self._artist_pages.clear()
        self._album_lists.clear()
        self._genres.clear()

    def artists(self, *, limit: int, offset: int) -> list[ArtistEntry]:
        return self._artist_pages.get(
            (limit, offset), lambda: self._browsing.artists(limit=limit, offset=offset)
        )

    def artist_entries(self, artist_ids: Collection[str]) -> dict[str, ArtistEntry]:
        return self._artists.get_many(artist_ids, self._browsing.artist_entries)

    def artist_id_by_name(self, name: str) -> str | None:
        return self._browsing.artist_id_by_name(name)

    def album_entries(self, album_ids: Collection[str]) -> dict[str, AlbumEntry]:
        return self._albums.get_many(album_ids, self._browsing.album_entries)

    def album_years(self, album_ids: Collection[str]) -> dict[str, int]:
        def load(ids: list[str]) -> dict[str, int | None]:
            known = self._browsing.album_years(ids)
            return {album_id: known.get(album_id) for album_id in ids}

        years = self._years.get_many(album_ids, load)
        return {album_id: year for album_id, year in years.items() if year is not None}

    def albums_by_artist(self, artist_id: str) -> list[AlbumEntry]:
        return self._browsing.albums_by_artist(artist_id)

    def album_list(
        self,
        order: AlbumOrder,
        *,
        limit: int,
        offset: int,
        user_id: str,
        genre: str | None = None,
        years: YearSpan | None = None,
    ) -> list[AlbumEntry]:
        if order not in SHARED_ORDERS:
            return self._browsing.album_list(
                order, limit=limit, offset=offset, user_id=user_id, genre=genre, years=years
            )
        key = (order, limit, offset, genre and genre.lower(), years)
        ids = self._album_lists.get(
            key,
            lambda: [
                e.album.id
                for e in self._browsing.album_list(
                    order, limit=limit, offset=offset, user_id=user_id, genre=genre, years=years
                )
            ],
        )
        entries = self.album_entries(ids)
        return [entries[i] for i in ids if i in entries]

    def album_page(self, *, limit: int, offset: int) -> list[AlbumEntry]:
        return self._browsing.album_page(limit=limit, offset=offset)

    def genres(self) -> list[GenreCount]:
        return self._genres.get("all", self._browsing.genres)

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
        return self._browsing.track_ids(
            limit=limit, offset=offset, genre=genre, years=years, random=random, keyed=keyed
        )

    def top_track_ids(self, artist_id: str, *, limit: int) -> list[str]:
        return self._browsing.top_track_ids(artist_id, limit=limit)

    def kinds(self, ids: Collection[str]) -> dict[str, ItemKind]:
        return self._browsing.kinds(ids)

    def play_counts(self, track_ids: Collection[str]) -> dict[str, int]:
        return self._browsing.play_counts(track_ids)


class RememberedTracks:
    """Track details by id, for a minute or until the catalog changes them."""

    def __init__(self, load: Callable[[list[str]], dict[str, TrackDetail]]) -> None:
        self._load = load
        self._details: Remembered[str, TrackDetail] = Remembered()

    def __call__(self, track_ids: Collection[str]) -> dict[str, TrackDetail]:
        return self._details.get_many(track_ids, self._load)

    def catalog_changed(self, change: CatalogChange) -> None:
        self._details.forget(change.track_ids)
        if change.album_ids or change.artist_ids:
            # A track shows its album's and artists' names: which tracks those are is not said.
            self._details.clear()
