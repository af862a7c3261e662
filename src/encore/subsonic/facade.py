"""The services a Subsonic method calls, and how a listener's songs, albums and artists are
put together from them (catalog facts, their stars, ratings and plays)."""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from encore.accounts.service import AccountService
from encore.catalog.model import TrackDetail
from encore.catalog.service import CatalogService
from encore.history.service import ListeningService
from encore.library.service import LibraryService
from encore.search.service import SearchService
from encore.streaming.model import best_quality
from encore.streaming.service import StreamService
from encore.subsonic import views
from encore.subsonic.model import AlbumEntry, ArtistEntry, ItemKind
from encore.subsonic.ports import Browsing, Marks, SimilarTracks
from encore.subsonic.protocol import Node, not_found


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: str
    username: str  # as the client signed in (or the credential's, for an API key)
    client: str


@dataclass
class Subsonic:
    accounts: AccountService
    catalog: CatalogService
    library: LibraryService
    listening: ListeningService
    search: SearchService
    streams: StreamService
    browsing: Browsing
    marks: Marks
    similar: SimilarTracks
    server_version: str
    # Track details by id (the catalog's, remembered for a while).
    track_details: Callable[[Collection[str]], dict[str, TrackDetail]]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # getNowPlaying: every listener's (as Subsonic servers do), or only the caller's own.
    now_playing_everyone: bool = True

    def songs(self, caller: Caller, track_ids: Sequence[str], *, name: str = "song") -> list[Node]:
        """The tracks that exist, in the order given, as the caller sees them."""
        details = self.track_details(track_ids)
        return self.song_nodes(caller, [details[t] for t in track_ids if t in details], name=name)

    def song_nodes(
        self, caller: Caller, details: Sequence[TrackDetail], *, name: str = "song"
    ) -> list[Node]:
        extras = self.extras(caller, details)
        return [views.song(detail, extras, name=name) for detail in details]

    def extras(self, caller: Caller, details: Sequence[TrackDetail]) -> views.Extras:
        if not details:
            return views.Extras()
        ids = [d.track.id for d in details]
        plan = self.accounts.entitlement(caller.user_id).plan
        return views.Extras(
            years=self.browsing.album_years({d.track.album_id for d in details}),
            starred=self.marks.liked(caller.user_id, ids),
            ratings=self.marks.ratings(caller.user_id, ids),
            plays=self.browsing.play_counts(ids),
            quality=best_quality(plan, max_kbps=None, lossless=False),
        )

    def albums(self, caller: Caller, entries: Sequence[AlbumEntry]) -> list[Node]:
        ids = [e.album.id for e in entries]
        starred = self.marks.starred_albums(caller.user_id, ids) if ids else {}
        rated = self.marks.ratings(caller.user_id, ids) if ids else {}
        return [
            views.album(e, starred=starred.get(e.album.id), rating=rated.get(e.album.id))
            for e in entries
        ]

    def album_ids(self, caller: Caller, album_ids: Sequence[str]) -> list[Node]:
        found = self.browsing.album_entries(album_ids)
        return self.albums(caller, [found[a] for a in album_ids if a in found])

    def artists(self, caller: Caller, entries: Sequence[ArtistEntry]) -> list[Node]:
        ids = [e.artist.id for e in entries]
        starred = self.marks.followed_artists(caller.user_id, ids) if ids else {}
        rated = self.marks.ratings(caller.user_id, ids) if ids else {}
        return [
            views.artist(e, starred=starred.get(e.artist.id), rating=rated.get(e.artist.id))
            for e in entries
        ]

    def artist_ids(self, caller: Caller, artist_ids: Sequence[str]) -> list[Node]:
        found = self.browsing.artist_entries(artist_ids)
        return self.artists(caller, [found[a] for a in artist_ids if a in found])

    def kinds_of(self, ids: Collection[str]) -> dict[str, ItemKind]:
        """What each id names; an unknown one is the protocol's 'not found'."""
        kinds = self.browsing.kinds(ids)
        unknown = [i for i in ids if i not in kinds]
        if unknown:
            raise not_found(f"Item {unknown[0]!r}")
        return kinds

    def cover_key(self, item_id: str) -> str | None:
        """The media key of the art for an album, an artist or a track's album."""
        kind = self.browsing.kinds([item_id]).get(item_id)
        if kind is ItemKind.ALBUM:
            album = self.browsing.album_entries([item_id]).get(item_id)
            return album.album.cover_art_path if album else None
        if kind is ItemKind.ARTIST:
            artist = self.browsing.artist_entries([item_id]).get(item_id)
            return artist.artist.image_path if artist else None
        if kind is ItemKind.TRACK:
            detail = self.track_details([item_id]).get(item_id)
            return detail.cover_art_path if detail else None
        return None
