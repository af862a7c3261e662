"""Writing imported files into the catalog, many per transaction.

The importer hands over files whose renditions are already in the media store; they are written
`max_files` at a time (or once the oldest has waited `max_wait_s`), one transaction per batch, by
one thread. Artists and albums the run has met stay in memory, so a library of a thousand files
by forty artists looks each artist up once. A batch that fails as a whole (a constraint, a full
disk) is written again file by file, so only the file at fault is reported failed; a crash loses
at most the batch being written, and the next run does those files again under the same keys.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from encore.catalog.audio import AudioTags
from encore.catalog.import_summary import Outcome, Status
from encore.catalog.model import Album, AlbumType, Artist, ImportSource, Rendition, Track
from encore.catalog.naming import UNKNOWN_ALBUM, UNKNOWN_ARTIST, parse_date, sort_name
from encore.catalog.ports import CatalogUnitOfWork
from encore.catalog.service import CatalogChange
from encore.ids import new_id
from encore.media import MediaStore
from encore.unit_of_work import UnitOfWorkFactory

IMAGE_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
}


@dataclass(frozen=True, slots=True)
class FileFacts:
    """Where a file is and what it was when it was read."""

    path: Path
    size_bytes: int
    mtime_ns: int
    content_hash: str


@dataclass(frozen=True, slots=True)
class EncodedFile:
    """A file whose renditions are stored and which only waits for its catalog rows."""

    facts: FileFacts
    track_id: str
    tags: AudioTags
    renditions: tuple[Rendition, ...]
    updating: bool  # this file was imported before, and has changed
    existing: bool  # its track is in the catalog already (this file's earlier self, or a feed's)


@dataclass(frozen=True, slots=True)
class KnownRecording:
    """A file holding a recording the catalog has already (a copy, a moved or touched file)."""

    facts: FileFacts
    track_id: str


Pending = EncodedFile | KnownRecording


@dataclass
class _Seen:
    """Artists and albums this run has written or found, by how the importer looks them up."""

    artists: dict[tuple[str, str | None], str] = field(default_factory=dict)
    albums: dict[tuple[str, str, str | None], Album] = field(default_factory=dict)


class CatalogWriter:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory[CatalogUnitOfWork],
        media: MediaStore,
        clock: Callable[[], datetime],
        on_change: Callable[[CatalogChange], None],
        max_files: int = 200,
        max_wait_s: float = 1.0,
    ) -> None:
        self._uow = uow
        self._media = media
        self._clock = clock
        self._on_change = on_change
        self._max_files = max_files
        self._max_wait_s = max_wait_s
        self._pending: list[Pending] = []
        self._oldest = 0.0
        self._seen = _Seen()

    def add(self, item: Pending) -> None:
        if not self._pending:
            self._oldest = time.monotonic()
        self._pending.append(item)

    @property
    def due(self) -> bool:
        return bool(self._pending) and (
            len(self._pending) >= self._max_files
            or time.monotonic() - self._oldest >= self._max_wait_s
        )

    def flush(self) -> list[Outcome]:
        """Write what is pending; the outcome of each file, in the order they were added."""
        batch, self._pending = self._pending, []
        if not batch:
            return []
        try:
            changes = self._write(batch)
        except Exception:
            if len(batch) == 1:
                raise
            # Some file spoiled the batch: write each alone to find it and keep the others.
            return [outcome for item in batch for outcome in self._write_alone(item)]
        self._on_change(_merged(changes))
        return [_outcome(item) for item in batch]

    def _write_alone(self, item: Pending) -> list[Outcome]:
        try:
            changes = self._write([item])
        except Exception as error:
            facts = item.facts
            reason = f"could not be written to the catalog: {error}"
            return [Outcome(str(facts.path), Status.FAILED, facts.size_bytes, reason=reason)]
        self._on_change(_merged(changes))
        return [_outcome(item)]

    def _write(self, batch: list[Pending]) -> list[CatalogChange]:
        seen = _Seen(dict(self._seen.artists), dict(self._seen.albums))
        changes: list[CatalogChange] = []
        new_tracks: list[Track] = []
        with self._uow() as uow:
            for item in batch:
                if isinstance(item, EncodedFile):
                    changes.append(self._write_track(uow, seen, item, new_tracks))
            # In bulk, in the order foreign keys need: tracks, then what refers to them.
            uow.tracks.add_many(new_tracks)
            encoded = [item for item in batch if isinstance(item, EncodedFile)]
            uow.renditions.replace_for_tracks(
                [item.track_id for item in encoded],
                [r for item in encoded for r in item.renditions],
            )
            uow.import_sources.put_many([self._source(item.facts, item.track_id) for item in batch])
            uow.albums.recount_tracks({album for change in changes for album in change.album_ids})
            uow.commit()
        # Only what is committed may be remembered: a failed batch's new artists do not exist.
        self._seen = seen
        return changes

    def _write_track(
        self, uow: CatalogUnitOfWork, seen: _Seen, item: EncodedFile, new_tracks: list[Track]
    ) -> CatalogChange:
        """Resolve the file's artists and album and write or queue its track."""
        tags = item.tags
        artist_ids = tuple(
            dict.fromkeys(
                self._artist(uow, seen, name, mbid)
                for name, mbid in _with_ids(
                    tags.artists or (UNKNOWN_ARTIST,), tags.musicbrainz_artist_ids
                )
            )
        )
        album_artist_ids = (
            tuple(self._artist(uow, seen, name, None) for name in tags.album_artists)
            if tags.album_artists
            else artist_ids[:1]
        )
        album = self._album(uow, seen, tags, album_artist_ids)
        track = Track(
            id=item.track_id,
            album_id=album.id,
            title=tags.title,
            duration_ms=tags.duration_ms,
            artist_ids=artist_ids,
            disc_number=tags.disc_number or 1,
            track_number=tags.track_number,
            isrc=tags.isrc,
            explicit=bool(tags.explicit),
            genres=tags.genres,
            musicbrainz_id=tags.musicbrainz_track_id,
            content_hash=item.facts.content_hash,
            created_at=self._clock(),
        )
        previous = uow.tracks.get(item.track_id) if item.existing else None
        if previous is None:
            new_tracks.append(track)
        else:
            # Popularity and licences come from listening and from feeds, not from tags.
            uow.tracks.update(
                replace(
                    track,
                    popularity=previous.popularity,
                    available_countries=previous.available_countries,
                    isrc=track.isrc or previous.isrc,
                    genres=track.genres or previous.genres,
                )
            )
        if tags.cover is not None and album.cover_art_path is None:
            album = self._store_cover(uow, seen, album, tags)
        previous_album = (previous.album_id,) if previous and previous.album_id != album.id else ()
        return CatalogChange(
            track_ids=(item.track_id,),
            album_ids=(album.id, *previous_album),
            artist_ids=tuple(
                {*artist_ids, *album_artist_ids, *(previous.artist_ids if previous else ())}
            ),
        )

    def _store_cover(
        self, uow: CatalogUnitOfWork, seen: _Seen, album: Album, tags: AudioTags
    ) -> Album:
        assert tags.cover is not None
        extension = IMAGE_EXTENSIONS.get(tags.cover.mime_type, "jpg")
        key = f"covers/{album.id[0:2]}/{album.id}.{extension}"
        self._media.put_bytes(key, tags.cover.data, content_type=tags.cover.mime_type)
        uow.albums.set_cover(album.id, key)
        covered = replace(album, cover_art_path=key)
        for lookup, known in seen.albums.items():
            if known.id == album.id:
                seen.albums[lookup] = covered
        return covered

    def _artist(
        self, uow: CatalogUnitOfWork, seen: _Seen, name: str, musicbrainz_id: str | None
    ) -> str:
        lookup = (name, musicbrainz_id)
        if (known := seen.artists.get(lookup)) is not None:
            return known
        found = uow.artists.find(name=name, musicbrainz_id=musicbrainz_id)
        if found is None:
            found = Artist(
                id=new_id(),
                name=name,
                sort_name=sort_name(name),
                musicbrainz_id=musicbrainz_id,
                created_at=self._clock(),
            )
            uow.artists.add(found)
        seen.artists[lookup] = found.id
        return found.id

    def _album(
        self,
        uow: CatalogUnitOfWork,
        seen: _Seen,
        tags: AudioTags,
        artist_ids: tuple[str, ...],
    ) -> Album:
        name = tags.album or UNKNOWN_ALBUM
        lookup = (name, artist_ids[0], tags.musicbrainz_album_id)
        if (known := seen.albums.get(lookup)) is not None:
            return known
        found = uow.albums.find(
            name=name, artist_id=artist_ids[0], musicbrainz_id=tags.musicbrainz_album_id
        )
        if found is None:
            released, precision = parse_date(tags.date)
            found = Album(
                id=new_id(),
                name=name,
                album_type=AlbumType.ALBUM,
                artist_ids=artist_ids,
                release_date=released,
                release_date_precision=precision,
                musicbrainz_id=tags.musicbrainz_album_id,
                created_at=self._clock(),
            )
            uow.albums.add(found)
        seen.albums[lookup] = found
        return found

    def _source(self, facts: FileFacts, track_id: str) -> ImportSource:
        return ImportSource(
            path=str(facts.path),
            track_id=track_id,
            content_hash=facts.content_hash,
            size_bytes=facts.size_bytes,
            mtime_ns=facts.mtime_ns,
            imported_at=self._clock(),
        )


def _outcome(item: Pending) -> Outcome:
    facts = item.facts
    if isinstance(item, KnownRecording):
        status = Status.UNCHANGED
    else:
        status = Status.UPDATED if item.updating else Status.IMPORTED
    return Outcome(str(facts.path), status, facts.size_bytes, track_id=item.track_id)


def _merged(changes: list[CatalogChange]) -> CatalogChange:
    return CatalogChange(
        track_ids=tuple(dict.fromkeys(t for c in changes for t in c.track_ids)),
        album_ids=tuple(dict.fromkeys(a for c in changes for a in c.album_ids)),
        artist_ids=tuple(dict.fromkeys(a for c in changes for a in c.artist_ids)),
    )


def _with_ids(names: tuple[str, ...], ids: tuple[str, ...]) -> "list[tuple[str, str | None]]":
    # MusicBrainz artist ids pair with artist names only when the counts agree.
    if len(ids) == len(names):
        return list(zip(names, ids, strict=True))
    return [(name, None) for name in names]
