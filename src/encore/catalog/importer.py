"""Importing audio files: tags into the catalog, sound into the bitrate ladder.

The work is a pipeline on one pool of `jobs` threads. A file is first hashed and its tags read;
each rung of its ladder (and its preview) is then a task of its own, so that the pool stays full
of encodes from several files rather than waiting on the slowest rung of one. Renditions are
encoded into a scratch directory and stored in the media store under keys derived from the track
id; once all of a file's renditions are stored, the file goes to the `CatalogWriter`, which writes
files to the catalog in batches, one transaction each.

A crash or Ctrl-C at any point leaves the catalog as it was before the batch being written; on
Ctrl-C the files finished so far are written before the run stops. The next run finds the other
files not done and does them again, overwriting any media stored under the same keys.
"""

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from encore.catalog.audio import (
    PREVIEW,
    PREVIEW_MS,
    AudioTags,
    RenditionSpec,
    UnreadableAudio,
    audio_key,
    plan_ladder,
)
from encore.catalog.import_files import FoundFile, file_sha256, find_audio_files
from encore.catalog.import_summary import Outcome, Progress, Status, Summary
from encore.catalog.import_writer import (
    CatalogWriter,
    EncodedFile,
    FileFacts,
    KnownRecording,
)
from encore.catalog.model import ImportSource, Rendition
from encore.catalog.naming import UNKNOWN_ARTIST
from encore.catalog.ports import CatalogUnitOfWork, TagReader, Transcoder
from encore.catalog.service import CatalogChange
from encore.ids import id_from_digest
from encore.media import MediaStore
from encore.unit_of_work import UnitOfWorkFactory

CONTENT_TYPES = {"ogg": "audio/ogg", "flac": "audio/flac"}
# Files read ahead per worker: enough that the pool always has encodes from several files.
FILES_IN_FLIGHT_PER_JOB = 3


@dataclass
class _InFlight:
    """A file between being read and being handed to the writer."""

    found: FoundFile
    previous: ImportSource | None
    facts: FileFacts | None = None
    tags: AudioTags | None = None
    track_id: str = ""
    scratch: Path | None = None
    waiting: int = 0
    renditions: list[Rendition] = field(default_factory=list)
    failure: str | None = None


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
        batch_files: int = 200,
    ) -> None:
        self.uow = uow
        self._tags = tags
        self._transcoder = transcoder
        self._media = media
        self._scratch_dir = scratch_dir
        self._on_change = on_change
        self._clock = clock
        self._batch_files = batch_files

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
        with self.uow(readonly=True) as uow:
            sources = uow.import_sources.get_many([str(item.path) for item in found])
        todo: list[_InFlight] = []
        for item in found:
            source = sources.get(str(item.path))
            if source and (source.size_bytes, source.mtime_ns) == (item.size_bytes, item.mtime_ns):
                outcome = Outcome(
                    str(item.path), Status.UNCHANGED, item.size_bytes, source.track_id
                )
                summary.outcomes.append(outcome)
                if progress:
                    progress.advanced(outcome)
            else:
                todo.append(_InFlight(item, source))
        if todo:
            writer = CatalogWriter(
                uow=self.uow,
                media=self._media,
                clock=self._clock,
                on_change=self._on_change,
                max_files=self._batch_files,
            )
            _Run(self, summary, progress, writer, jobs=max(1, jobs)).go(todo)
        # Files finish in any order; the summary reads best in the order of the walk.
        summary.outcomes.sort(key=lambda outcome: outcome.path)
        return summary

    # --- tasks run on the pool's threads ------------------------------------------------------

    def read(self, item: "_InFlight") -> None:
        path = item.found.path
        stat = path.stat()
        item.facts = FileFacts(path, stat.st_size, stat.st_mtime_ns, file_sha256(path))
        item.tags = self._tags.read(path)

    def encode(self, item: "_InFlight", spec: RenditionSpec, upscaled: bool) -> Rendition:
        assert item.scratch is not None
        target = item.scratch / spec.file_name
        self._transcoder.encode(item.found.path, target, spec)
        return self._store(item.track_id, spec, target, upscaled=upscaled)

    def preview(self, item: "_InFlight") -> Rendition:
        assert item.scratch is not None
        assert item.tags is not None
        source = item.found.path
        start_ms = self._transcoder.representative_start_ms(
            source, duration_ms=item.tags.duration_ms, length_ms=PREVIEW_MS
        )
        target = item.scratch / PREVIEW.file_name
        self._transcoder.preview(source, target, start_ms=start_ms, length_ms=PREVIEW_MS)
        return self._store(item.track_id, PREVIEW, target, upscaled=False)

    def scratch_for(self, track_id: str) -> Path:
        self._scratch_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=self._scratch_dir, prefix=f"{track_id}-"))

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


class _Run:
    """One run of the pipeline: the main thread hands out tasks, collects their results and
    feeds the writer; the pool's threads only read, encode and store."""

    def __init__(
        self,
        importer: AudioImporter,
        summary: Summary,
        progress: Progress | None,
        writer: CatalogWriter,
        *,
        jobs: int,
    ) -> None:
        self._importer = importer
        self._summary = summary
        self._progress = progress
        self._writer = writer
        self._jobs = jobs
        # Each task's file, and whether the task is the file's read (True) or one of its encodes.
        self._tasks: dict[Future[Rendition | None], tuple[_InFlight, bool]] = {}
        # Content hashes met in this run, so that two copies in one run make one track.
        self._hashes: dict[str, str] = {}
        self._in_flight = 0

    def go(self, todo: list[_InFlight]) -> None:
        waiting: Iterator[_InFlight] = iter(todo)
        limit = self._jobs * FILES_IN_FLIGHT_PER_JOB
        pool = ThreadPoolExecutor(max_workers=self._jobs, thread_name_prefix="import")
        try:
            while True:
                while self._in_flight < limit and (item := next(waiting, None)) is not None:
                    self._in_flight += 1
                    self._tasks[pool.submit(self._importer.read, item)] = (item, True)
                if not self._tasks:
                    break
                done, _ = wait(self._tasks, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in done:
                    self._finished(future, pool)
                if self._writer.due:
                    self._flush()
        except BaseException:
            self._summary.interrupted = True
            pool.shutdown(wait=True, cancel_futures=True)
            # Files whose every rendition is stored are kept; the rest are done again next run.
            for future in list(self._tasks):
                if not future.cancelled() and future.exception() is None:
                    self._finished(future, None)
            for item, _ in self._tasks.values():
                _discard(item)
            self._flush()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        self._flush()

    def _finished(self, future: Future[Rendition | None], pool: ThreadPoolExecutor | None) -> None:
        item, is_read = self._tasks.pop(future)
        error = future.exception()
        if error is not None and not isinstance(error, UnreadableAudio | OSError):
            raise error
        if is_read:
            if error is not None:
                self._fail(item, _reason(error))
            elif pool is not None:
                self._start_encodes(item, pool)
            return
        if error is not None:
            item.failure = item.failure or _reason(error)
        elif (rendition := future.result()) is not None:
            item.renditions.append(rendition)
        item.waiting -= 1
        if item.waiting == 0:
            self._encoded(item)

    def _start_encodes(self, item: _InFlight, pool: ThreadPoolExecutor) -> None:
        """Tags read and content hashed: skip a known recording, or start its encodes."""
        assert item.facts is not None
        assert item.tags is not None
        content_hash = item.facts.content_hash
        known = self._hashes.get(content_hash)
        if known is None:
            with self._importer.uow(readonly=True) as uow:
                same = uow.tracks.get_by_content_hash(content_hash)
                if same is not None:
                    known = same.id
                elif item.previous is not None:
                    item.track_id = item.previous.track_id
                else:
                    item.track_id = self._attach_to(uow, item.tags) or id_from_hash(content_hash)
        if known is not None:
            # The same recording again (a copy, a moved file, a touched one): remember the path.
            self._in_flight -= 1
            self._writer.add(KnownRecording(item.facts, known))
            return
        self._hashes[content_hash] = item.track_id
        item.scratch = self._importer.scratch_for(item.track_id)
        plan = plan_ladder(item.tags)
        item.waiting = len(plan) + 1
        for spec, upscaled in plan:
            self._tasks[pool.submit(self._importer.encode, item, spec, upscaled)] = (item, False)
        self._tasks[pool.submit(self._importer.preview, item)] = (item, False)

    def _attach_to(self, uow: CatalogUnitOfWork, tags: AudioTags) -> str | None:
        """A metadata-only track (from a feed) that this file is the audio of, if any."""
        found = uow.tracks.find_metadata_only(
            isrc=tags.isrc,
            title=tags.title,
            artist=(tags.artists or (UNKNOWN_ARTIST,))[0],
            duration_ms=tags.duration_ms,
        )
        if found is None or found.id in self._hashes.values():
            return None
        return found.id

    def _encoded(self, item: _InFlight) -> None:
        """Every encode of the file has ended: hand it to the writer, or report why not."""
        if item.failure is not None:
            assert item.facts is not None
            self._hashes.pop(item.facts.content_hash, None)
            self._fail(item, item.failure)
            return
        assert item.facts is not None
        assert item.tags is not None
        self._in_flight -= 1
        _discard(item)
        self._writer.add(
            EncodedFile(
                item.facts,
                item.track_id,
                item.tags,
                tuple(sorted(item.renditions, key=_ladder_order)),
                updating=item.previous is not None,
            )
        )

    def _fail(self, item: _InFlight, reason: str) -> None:
        self._in_flight -= 1
        _discard(item)
        found = item.found
        self._report(Outcome(str(found.path), Status.FAILED, found.size_bytes, reason=reason))

    def _flush(self) -> None:
        for outcome in self._writer.flush():
            self._report(outcome)

    def _report(self, outcome: Outcome) -> None:
        self._summary.outcomes.append(outcome)
        if self._progress:
            self._progress.advanced(outcome)


def id_from_hash(content_hash: str) -> str:
    """A track id derived from the audio's hash, so that a re-run after a crash stores the
    same recording under the same keys instead of leaving orphans behind."""
    return id_from_digest(bytes.fromhex(content_hash))


def _reason(error: BaseException) -> str:
    if isinstance(error, UnreadableAudio):
        return error.detail
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error)


def _ladder_order(rendition: Rendition) -> int:
    return list(type(rendition.quality)).index(rendition.quality)


def _discard(item: _InFlight) -> None:
    if item.scratch is not None:
        shutil.rmtree(item.scratch, ignore_errors=True)
