"""Importing audio files: tags into the catalog, sound into the bitrate ladder.

Each file is one unit: its renditions are encoded into a scratch directory, stored in the media
store under keys derived from the track id, and only then is everything about it (artists, album,
track, renditions, where it came from) written in one transaction. A crash or Ctrl-C at any point
leaves the catalog as it was before that file; the next run finds the file not done and does it
again, overwriting any media the interrupted run had stored under the same keys.
"""

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from encore.catalog.audio import (
    PREVIEW,
    PREVIEW_MS,
    AudioTags,
    RenditionSpec,
    UnreadableAudio,
    audio_key,
    plan_ladder,
)
from encore.catalog.model import (
    Album,
    AlbumType,
    Artist,
    ImportSource,
    Rendition,
    Track,
)
from encore.catalog.naming import parse_date, sort_name
from encore.catalog.ports import CatalogUnitOfWork, TagReader, Transcoder
from encore.catalog.service import CatalogChange
from encore.ids import id_from_digest, new_id
from encore.media import MediaStore
from encore.unit_of_work import UnitOfWorkFactory

AUDIO_EXTENSIONS = frozenset(
    {".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac", ".wav", ".aif", ".aiff"}
)
UNKNOWN_ARTIST = "Unknown Artist"
UNKNOWN_ALBUM = "Unknown Album"
CONTENT_TYPES = {"ogg": "audio/ogg", "flac": "audio/flac"}
IMAGE_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
}


class Status(StrEnum):
    IMPORTED = "imported"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Outcome:
    path: str
    status: Status
    size_bytes: int
    track_id: str | None = None
    reason: str | None = None


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False
    # What the reader should know beyond the counts (e.g. a feed read as Windows-1252).
    notes: list[str] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(outcome.status is status for outcome in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status is Status.FAILED]

    @property
    def succeeded(self) -> bool:
        """False only when files were found and not one of them could be imported."""
        return not self.outcomes or len(self.failures) < len(self.outcomes)


class Progress(Protocol):
    def started(self, *, files: int, total_bytes: int) -> None: ...
    def advanced(self, outcome: Outcome) -> None: ...


@dataclass(frozen=True, slots=True)
class FoundFile:
    path: Path
    size_bytes: int


class AudioImporter:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory[CatalogUnitOfWork],
        tags: TagReader,
        transcoder: Transcoder,
        media: MediaStore,
        scratch_dir: Path,
        on_change: Callable[[CatalogChange], None] = lambda change: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow = uow
        self._tags = tags
        self._transcoder = transcoder
        self._media = media
        self._scratch_dir = scratch_dir
        self._on_change = on_change
        self._clock = clock
        # Find-or-create of artists and albums must not race between this run's workers.
        self._write_lock = threading.Lock()

    def run(self, paths: Sequence[Path], *, jobs: int, progress: Progress | None = None) -> Summary:
        summary = Summary()
        found = list(find_audio_files(paths, on_error=summary.outcomes.append))
        if progress:
            progress.started(
                files=len(found) + len(summary.outcomes),
                total_bytes=sum(f.size_bytes for f in found),
            )
            for outcome in summary.outcomes:
                progress.advanced(outcome)
        executor = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="import")
        try:
            futures = [executor.submit(self.import_file, item) for item in found]
            for future in futures:
                outcome = future.result()
                summary.outcomes.append(outcome)
                if progress:
                    progress.advanced(outcome)
        except KeyboardInterrupt:
            summary.interrupted = True
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
        return summary

    def import_file(self, found: FoundFile) -> Outcome:
        path = found.path
        try:
            return self._import(path)
        except UnreadableAudio as error:
            return Outcome(str(path), Status.FAILED, found.size_bytes, reason=error.detail)
        except OSError as error:
            reason = error.strerror or str(error)
            return Outcome(str(path), Status.FAILED, found.size_bytes, reason=reason)

    def _import(self, path: Path) -> Outcome:
        stat = path.stat()
        name = str(path)
        with self._uow(readonly=True) as uow:
            source = uow.import_sources.get(name)
        if source and (source.size_bytes, source.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            return Outcome(name, Status.UNCHANGED, stat.st_size, track_id=source.track_id)
        content_hash = file_sha256(path)
        with self._uow(readonly=True) as uow:
            same = uow.tracks.get_by_content_hash(content_hash)
        if same is not None:
            # The same recording again (a copy, a moved file, a touched one): remember the path.
            self._remember(name, same.id, content_hash, stat)
            return Outcome(name, Status.UNCHANGED, stat.st_size, track_id=same.id)
        tags = self._tags.read(path)
        updating = source is not None
        track_id = source.track_id if source else id_from_hash(content_hash)
        self._scratch_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=self._scratch_dir, prefix=f"{track_id}-"))
        try:
            renditions = self._encode(path, scratch, track_id, tags)
            change = self._write(name, stat, content_hash, track_id, tags, renditions)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        self._on_change(change)
        status = Status.UPDATED if updating else Status.IMPORTED
        return Outcome(name, status, stat.st_size, track_id=track_id)

    def _encode(
        self, source: Path, scratch: Path, track_id: str, tags: AudioTags
    ) -> list[Rendition]:
        renditions = []
        for spec, upscaled in plan_ladder(tags):
            target = scratch / spec.file_name
            self._transcoder.encode(source, target, spec)
            renditions.append(self._store(track_id, spec, target, upscaled=upscaled))
        start_ms = self._transcoder.representative_start_ms(
            source, duration_ms=tags.duration_ms, length_ms=PREVIEW_MS
        )
        target = scratch / PREVIEW.file_name
        self._transcoder.preview(source, target, start_ms=start_ms, length_ms=PREVIEW_MS)
        renditions.append(self._store(track_id, PREVIEW, target, upscaled=False))
        return renditions

    def _store(
        self, track_id: str, spec: RenditionSpec, file: Path, *, upscaled: bool
    ) -> Rendition:
        key = audio_key(track_id, spec.file_name)
        stored = self._media.put_file(key, file, content_type=CONTENT_TYPES[spec.extension])
        return Rendition(
            track_id=track_id,
            quality=spec.quality,
            format=spec.extension,
            codec=spec.codec,
            bitrate_kbps=spec.bitrate_kbps,
            size_bytes=stored.size,
            path=key,
            checksum=file_sha256(file),
            upscaled=upscaled,
        )

    def _write(
        self,
        name: str,
        stat: os.stat_result,
        content_hash: str,
        track_id: str,
        tags: AudioTags,
        renditions: list[Rendition],
    ) -> CatalogChange:
        with self._write_lock, self._uow() as uow:
            artist_ids = tuple(
                self._artist(uow, artist, mbid)
                for artist, mbid in _with_ids(
                    tags.artists or (UNKNOWN_ARTIST,), tags.musicbrainz_artist_ids
                )
            )
            album_artist_ids = (
                tuple(self._artist(uow, artist, None) for artist in tags.album_artists)
                if tags.album_artists
                else artist_ids[:1]
            )
            album = self._album(uow, tags, album_artist_ids)
            track = Track(
                id=track_id,
                album_id=album.id,
                title=tags.title,
                duration_ms=tags.duration_ms,
                artist_ids=tuple(dict.fromkeys(artist_ids)),
                disc_number=tags.disc_number or 1,
                track_number=tags.track_number,
                isrc=tags.isrc,
                explicit=bool(tags.explicit),
                genres=tags.genres,
                musicbrainz_id=tags.musicbrainz_track_id,
                content_hash=content_hash,
                created_at=self._clock(),
            )
            previous = uow.tracks.get(track_id)
            if previous is None:
                uow.tracks.add(track)
            else:
                uow.tracks.update(track)
            for rendition in renditions:
                uow.renditions.put(rendition)
            uow.import_sources.put(self._source(name, track_id, content_hash, stat))
            uow.albums.set_total_tracks(album.id, uow.albums.count_tracks(album.id))
            if tags.cover is not None and album.cover_art_path is None:
                extension = IMAGE_EXTENSIONS.get(tags.cover.mime_type, "jpg")
                key = f"covers/{album.id[0:2]}/{album.id}.{extension}"
                self._media.put_bytes(key, tags.cover.data, content_type=tags.cover.mime_type)
                uow.albums.set_cover(album.id, key)
            uow.commit()
        old_album = (previous.album_id,) if previous and previous.album_id != album.id else ()
        return CatalogChange(
            track_ids=(track_id,),
            album_ids=(album.id, *old_album),
            artist_ids=tuple(
                set(artist_ids)
                | set(album_artist_ids)
                | set(previous.artist_ids if previous else ())
            ),
        )

    def _remember(self, name: str, track_id: str, content_hash: str, stat: os.stat_result) -> None:
        with self._uow() as uow:
            uow.import_sources.put(self._source(name, track_id, content_hash, stat))
            uow.commit()

    def _source(
        self, name: str, track_id: str, content_hash: str, stat: os.stat_result
    ) -> ImportSource:
        return ImportSource(
            path=name,
            track_id=track_id,
            content_hash=content_hash,
            size_bytes=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            imported_at=self._clock(),
        )

    def _artist(self, uow: CatalogUnitOfWork, name: str, musicbrainz_id: str | None) -> str:
        found = uow.artists.find(name=name, musicbrainz_id=musicbrainz_id)
        if found is not None:
            return found.id
        artist = Artist(
            id=new_id(),
            name=name,
            sort_name=sort_name(name),
            musicbrainz_id=musicbrainz_id,
            created_at=self._clock(),
        )
        uow.artists.add(artist)
        return artist.id

    def _album(self, uow: CatalogUnitOfWork, tags: AudioTags, artist_ids: tuple[str, ...]) -> Album:
        name = tags.album or UNKNOWN_ALBUM
        found = uow.albums.find(
            name=name, artist_id=artist_ids[0], musicbrainz_id=tags.musicbrainz_album_id
        )
        if found is not None:
            return found
        released, precision = parse_date(tags.date)
        album = Album(
            id=new_id(),
            name=name,
            album_type=AlbumType.ALBUM,
            artist_ids=artist_ids,
            release_date=released,
            release_date_precision=precision,
            musicbrainz_id=tags.musicbrainz_album_id,
            created_at=self._clock(),
        )
        uow.albums.add(album)
        return album


def find_audio_files(
    paths: Iterable[Path], *, on_error: Callable[[Outcome], None]
) -> Iterator[FoundFile]:
    """Audio files under `paths`, each once, in a stable order. Follows symbolic links but never
    enters a directory twice, so a link loop ends. What cannot be read is reported, not raised."""
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()

    def fail(path: Path, reason: str) -> None:
        on_error(Outcome(str(path), Status.FAILED, 0, reason=reason))

    def visit(path: Path) -> Iterator[FoundFile]:
        try:
            stat = path.stat()
        except OSError as error:
            reason = "symbolic link loop" if error.errno == 40 else (error.strerror or str(error))
            fail(path, reason)
            return
        identity = (stat.st_dev, stat.st_ino)
        if path.is_dir():
            if identity in seen_dirs:
                return
            seen_dirs.add(identity)
            try:
                children = sorted(os.scandir(path), key=lambda entry: entry.name)
            except OSError as error:
                fail(path, error.strerror or str(error))
                return
            for child in children:
                yield from visit(Path(child.path))
        elif path.suffix.lower() in AUDIO_EXTENSIONS and identity not in seen_files:
            seen_files.add(identity)
            yield FoundFile(path, stat.st_size)

    for path in paths:
        if not path.exists() and not path.is_symlink():
            fail(path, "no such file or directory")
            continue
        yield from visit(path.absolute())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def id_from_hash(content_hash: str) -> str:
    """A track id derived from the audio's hash, so that a re-run after a crash stores the
    same recording under the same keys instead of leaving orphans behind."""
    return id_from_digest(bytes.fromhex(content_hash))


def _with_ids(names: tuple[str, ...], ids: tuple[str, ...]) -> Iterator[tuple[str, str | None]]:
    # MusicBrainz artist ids pair with artist names only when the counts agree.
    paired = len(ids) == len(names)
    for index, name in enumerate(names):
        yield name, ids[index] if paired else None
