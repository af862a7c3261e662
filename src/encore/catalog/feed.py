"""Importing a catalog feed: tracks known by their metadata only (searchable and recommendable,
not streamable until their audio arrives), with their artists and albums.

The feed's own ids for tracks and albums are kept in `external_ids` under a namespace
(`feed:<file stem>` unless the import names one), so that importing the feed again finds what it
made and updates it in place. Artists are found by name, and albums the feed has no id for by name
and artist, the way the audio importer finds them. Tracks are written `batch_size` at a time, one
transaction per batch: an interrupted import keeps the batches it finished, and running it again
goes on from there.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from encore.catalog.feed_csv import UTF8, FeedTrack, UnreadableFeed, read_feed
from encore.catalog.import_summary import Outcome, Status, Summary
from encore.catalog.model import Album, AlbumType, Artist, ExternalKind, Track
from encore.catalog.naming import UNKNOWN_ALBUM, sort_name
from encore.catalog.ports import CatalogUnitOfWork
from encore.catalog.service import CatalogChange
from encore.ids import new_id
from encore.unit_of_work import UnitOfWorkFactory

BATCH_TRACKS = 1_000
MAX_NAMESPACE = 100


class FeedProgress(Protocol):
    def started(self, *, rows: int) -> None: ...
    def advanced(self, *, rows: int) -> None: ...


def default_namespace(path: Path) -> str:
    return f"feed:{path.stem}"[:MAX_NAMESPACE]


@dataclass
class _Resolved:
    """What this run knows of the catalog, so that each thing is looked up once."""

    # The namespace's mappings of the feed's track and album ids, as loaded and as added to.
    tracks: dict[str, str]
    albums: dict[str, str]
    artists: dict[str, str] = field(default_factory=dict)
    # Albums the feed has no id for, by (name, artist id).
    albums_by_name: dict[tuple[str, str], str] = field(default_factory=dict)
    # The feed's album ids this run has settled (found or made, and brought up to date).
    settled: set[str] = field(default_factory=set)


class FeedImporter:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory[CatalogUnitOfWork],
        on_change: Callable[[CatalogChange], None] = lambda change: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        batch_size: int = BATCH_TRACKS,
    ) -> None:
        self._uow = uow
        self._on_change = on_change
        self._clock = clock
        self._batch_size = batch_size

    def run(
        self, path: Path, *, namespace: str | None = None, progress: FeedProgress | None = None
    ) -> Summary:
        summary = Summary()
        namespace = namespace or default_namespace(path)
        if len(namespace) > MAX_NAMESPACE:
            reason = f"the namespace is longer than {MAX_NAMESPACE} characters"
            summary.outcomes.append(Outcome(str(path), Status.FAILED, 0, reason=reason))
            return summary
        try:
            feed = read_feed(path)
        except UnreadableFeed as error:
            summary.outcomes.append(Outcome(str(path), Status.FAILED, 0, reason=error.reason))
            return summary
        except OSError as error:
            reason = error.strerror or str(error)
            summary.outcomes.append(Outcome(str(path), Status.FAILED, 0, reason=reason))
            return summary
        if feed.encoding != UTF8:
            summary.notes.append(f"{path} is not valid UTF-8; it was read as {feed.encoding}.")
        if progress:
            progress.started(rows=feed.rows)
        summary.outcomes.extend(
            Outcome(f"{path}:{problem.line}", Status.FAILED, 0, reason=problem.reason)
            for problem in feed.problems
        )
        if progress:
            progress.advanced(rows=len(feed.problems))
        with self._uow(readonly=True) as uow:
            resolved = _Resolved(
                tracks=uow.external_ids.in_namespace(namespace, ExternalKind.TRACK),
                albums=uow.external_ids.in_namespace(namespace, ExternalKind.ALBUM),
            )
        try:
            for start in range(0, len(feed.tracks), self._batch_size):
                batch = feed.tracks[start : start + self._batch_size]
                outcomes, change = self._write(path, namespace, batch, resolved)
                summary.outcomes.extend(outcomes)
                if change.track_ids or change.album_ids:
                    self._on_change(change)
                if progress:
                    progress.advanced(rows=sum(item.rows for item in batch))
        except KeyboardInterrupt:
            summary.interrupted = True
            raise
        return summary

    def _write(
        self, path: Path, namespace: str, batch: Sequence[FeedTrack], resolved: _Resolved
    ) -> tuple[list[Outcome], CatalogChange]:
        now = self._clock()
        outcomes: list[Outcome] = []
        added: list[Track] = []
        changed: list[Track] = []
        before: list[Track] = []
        new_keys: dict[str, str] = {}
        with self._uow() as uow:
            self._artists(uow, batch, resolved, now)
            retitled = self._albums(uow, namespace, batch, resolved, now)
            existing = uow.tracks.get_many(
                {resolved.tracks[item.key] for item in batch if item.key in resolved.tracks}
            )
            for item in batch:
                artist_id = resolved.artists[item.artist]
                # None also when the mapped track is gone: then it is made again.
                old = existing.get(resolved.tracks.get(item.key, ""))
                track = _track(item, _album_id(item, resolved), artist_id, old, now)
                if old is None:
                    status = Status.IMPORTED
                    added.append(track)
                    new_keys[item.key] = track.id
                elif track != old or item.line in retitled:
                    status = Status.UPDATED
                    if track != old:
                        uow.tracks.update(track)
                    before.append(old)
                else:
                    status = Status.UNCHANGED
                if status is not Status.UNCHANGED:
                    changed.append(track)
                outcomes.append(Outcome(f"{path}:{item.line}", status, 0, track_id=track.id))
            uow.tracks.add_many(added)
            uow.external_ids.put_many(namespace, ExternalKind.TRACK, new_keys)
            touched = (*changed, *before)
            change = CatalogChange(
                track_ids=tuple(track.id for track in changed),
                album_ids=tuple({track.album_id for track in touched}),
                artist_ids=tuple({artist for track in touched for artist in track.artist_ids}),
            )
            uow.albums.recount_tracks(change.album_ids)
            uow.commit()
        resolved.tracks.update(new_keys)
        return outcomes, change

    def _artists(
        self, uow: CatalogUnitOfWork, batch: Sequence[FeedTrack], resolved: _Resolved, now: datetime
    ) -> None:
        names = {item.artist for item in batch} - resolved.artists.keys()
        resolved.artists.update(uow.artists.ids_by_name(names))
        created = [
            Artist(id=new_id(), name=name, sort_name=sort_name(name), created_at=now)
            for name in sorted(names - resolved.artists.keys())
        ]
        uow.artists.add_many(created)
        resolved.artists.update((artist.name, artist.id) for artist in created)

    def _albums(
        self,
        uow: CatalogUnitOfWork,
        namespace: str,
        batch: Sequence[FeedTrack],
        resolved: _Resolved,
        now: datetime,
    ) -> set[int]:
        """Settle the album of every track in `batch`. Returns the lines of the tracks that
        changed an album's name or release date (each album takes them from its first track)."""
        first: dict[str, FeedTrack] = {}
        unkeyed: dict[tuple[str, str], FeedTrack] = {}
        for item in batch:
            if item.album_key is None:
                if _name_key(item, resolved) not in resolved.albums_by_name:
                    unkeyed.setdefault(_name_key(item, resolved), item)
            elif item.album_key not in resolved.settled:
                first.setdefault(item.album_key, item)
        stored = uow.albums.get_many({resolved.albums[k] for k in first if k in resolved.albums})
        named = {
            album_key: _name_key(item, resolved)
            for album_key, item in first.items()
            if resolved.albums.get(album_key) not in stored
        }
        found = uow.albums.ids_by_name({*named.values(), *unkeyed})
        claimed = set(resolved.albums.values())
        linked: dict[str, str] = {}
        created: list[Album] = []
        for album_key, name_key in named.items():
            # An existing album of that name stands for one of the feed's album ids at most.
            if name_key in found and found[name_key] not in claimed:
                linked[album_key] = found[name_key]
            else:
                created.append(_album(first[album_key], name_key[1], now))
                linked[album_key] = created[-1].id
            claimed.add(linked[album_key])
        for name_key, item in unkeyed.items():
            if name_key not in found:
                created.append(_album(item, name_key[1], now))
                found[name_key] = created[-1].id
            resolved.albums_by_name[name_key] = found[name_key]
        uow.albums.add_many(created)
        uow.external_ids.put_many(namespace, ExternalKind.ALBUM, linked)
        resolved.albums.update(linked)
        resolved.settled.update(first)
        fresh = {album.id for album in created}
        stored.update(uow.albums.get_many(set(linked.values()) - fresh))
        # The feed's albums take their name and release date from the feed.
        retitled: set[int] = set()
        for album_key, item in first.items():
            album = stored.get(resolved.albums[album_key])
            if album is None:
                continue
            name = item.album or album.name
            released = item.release_date or album.release_date
            precision = item.release_date_precision or album.release_date_precision
            if (name, released, precision) != (
                album.name,
                album.release_date,
                album.release_date_precision,
            ):
                uow.albums.set_details(
                    album.id, name=name, release_date=released, release_date_precision=precision
                )
                retitled.add(item.line)
        return retitled


def _name_key(item: FeedTrack, resolved: _Resolved) -> tuple[str, str]:
    return item.album or UNKNOWN_ALBUM, resolved.artists[item.artist]


def _album_id(item: FeedTrack, resolved: _Resolved) -> str:
    if item.album_key is not None:
        return resolved.albums[item.album_key]
    return resolved.albums_by_name[_name_key(item, resolved)]


def _album(item: FeedTrack, artist_id: str, now: datetime) -> Album:
    return Album(
        id=new_id(),
        name=item.album or UNKNOWN_ALBUM,
        album_type=AlbumType.ALBUM,
        artist_ids=(artist_id,),
        release_date=item.release_date,
        release_date_precision=item.release_date_precision,
        created_at=now,
    )


def _track(
    item: FeedTrack, album_id: str, artist_id: str, old: Track | None, now: datetime
) -> Track:
    """The track as the feed has it; what the feed leaves out stays as the catalog had it."""
    if old is None:
        old = Track(
            id=new_id(),
            album_id=album_id,
            title=item.title,
            duration_ms=0,
            artist_ids=(artist_id,),
            created_at=now,
        )
    return replace(
        old,
        album_id=album_id,
        title=item.title,
        artist_ids=(artist_id,),
        duration_ms=old.duration_ms if item.duration_ms is None else item.duration_ms,
        popularity=old.popularity if item.popularity is None else item.popularity,
        isrc=item.isrc or old.isrc,
        genres=item.genres or old.genres,
    )
