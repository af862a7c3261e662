"""Importing audio files: tags into the catalog, sound into the bitrate ladder.

The work is a pipeline on one pool of `jobs` threads. A file is first hashed and its tags read;
each rung of its ladder (and its preview) is then a task of its own, so that the pool stays full
of encodes from several files rather than waiting on the slowest rung of one. Renditions are
encoded into the run's scratch directory and stored in the media store under keys derived from
the track id; once all of a file's renditions are stored, the file goes to the `CatalogWriter`,
which writes files to the catalog in batches, one transaction each.

What the run needs to know of the catalog (files imported before, recordings it has, tracks known
only from feeds) is read once at the start, so the pipeline's hot loop reads nothing.

A run may also leave the encoding for later (`transcode=False`): files are cataloged as tracks
without audio (searchable, not yet streamable), which makes a large library browsable in seconds;
any later run encodes the tracks that still have no renditions.

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
from typing import Any

from encore.catalog.audio import (
    PREVIEW,
    PREVIEW_MS,
    AudioTags,
    RenditionSpec,
    UnreadableAudio,
    audio_key,
    plan_ladder,
)
from encore.catalog.feed_matching import UnheardTracks
from encore.catalog.import_files import FoundFile, file_sha256, find_audio_files
from encore.catalog.import_summary import Outcome, Progress, Status, Summary
from encore.catalog.import_writer import CatalogWriter, EncodedFile, FileFacts, KnownRecording
from encore.catalog.model import ImportSource, Quality, Rendition
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
    """A file between being found and being handed to the writer."""

    found: FoundFile
    previous: ImportSource | None
    facts: FileFacts | None = None
    tags: AudioTags | None = None
    track_id: str = ""
    existing: bool = False  # the track is in the catalog already (re-import, or a feed's)
    scratch: list[Path] = field(default_factory=list)
    waiting: int = 0
    renditions: list[Rendition] = field(default_factory=list)
    failure: str | None = None


@dataclass
class _Known:
    """What the run knows of the catalog, read once at its start."""

    sources: dict[str, ImportSource]
    hashes: dict[str, str]  # content hash -> track id, growing as the run goes
    unheard: UnheardTracks
    encoded: set[str]  # tracks that have renditions


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
        self._uow = uow
        self._tags = tags
        self._transcoder = transcoder
        self._media = media
        self._scratch_dir = scratch_dir
        self._on_change = on_change
        self._clock = clock
        self._batch_files = batch_files

    def run(
        self,
        paths: Sequence[Path],
        *,
        jobs: int,
        progress: Progress | None = None,
        transcode: bool = True,
    ) -> Summary:
        summary = Summary()
        found = list(find_audio_files(paths, on_error=summary.outcomes.append))
        if progress:
            progress.started(
                files=len(found) + len(summary.outcomes),
                total_bytes=sum(f.size_bytes for f in found),
            )
            for outcome in summary.outcomes:
                progress.advanced(outcome)
        known = self._known([str(item.path) for item in found])
        todo: list[_InFlight] = []
        for item in found:
            name = str(item.path)
            source = known.sources.get(name)
            unchanged = source is not None and (source.size_bytes, source.mtime_ns) == (
                item.size_bytes,
                item.mtime_ns,
            )
            if source and unchanged and (not transcode or source.track_id in known.encoded):
                outcome = Outcome(name, Status.UNCHANGED, item.size_bytes, source.track_id)
                summary.outcomes.append(outcome)
                if progress:
                    progress.advanced(outcome)
            else:
                todo.append(_InFlight(item, source))
        if todo:
            writer = CatalogWriter(
                uow=self._uow,
                media=self._media,
                clock=self._clock,
                on_change=self._on_change,
                max_files=self._batch_files,
            )
            self._scratch_dir.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(dir=self._scratch_dir, prefix="run-"))
            try:
                run = _Run(
                    self,
                    known,
                    scratch,
                    summary,
                    progress,
                    writer,
                    jobs=max(1, jobs),
                    transcode=transcode,
                )
                run.go(todo)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        # Files finish in any order; the summary reads best in the order of the walk.
        summary.outcomes.sort(key=lambda outcome: outcome.path)
        return summary

    def _known(self, paths: list[str]) -> _Known:
        with self._uow(readonly=True) as uow:
            return _Known(
                sources=uow.import_sources.get_many(paths),
                hashes=uow.tracks.content_hashes(),
                unheard=UnheardTracks(uow.tracks.metadata_only()),
                encoded=uow.renditions.track_ids(),
            )

    # --- tasks run on the pool's threads ------------------------------------------------------

    def read(self, item: _InFlight) -> None:
        path = item.found.path
        stat = path.stat()
        item.facts = FileFacts(path, stat.st_size, stat.st_mtime_ns, file_sha256(path))
        item.tags = self._tags.read(path)

    def encode(
        self, item: _InFlight, target: Path, spec: RenditionSpec, upscaled: bool
    ) -> Rendition:
        self._transcoder.encode(item.found.path, target, spec)
        return self._store(item.track_id, spec, target, upscaled=upscaled)

    def preview(self, item: _InFlight, target: Path, duration_ms: int) -> Rendition:
        source = item.found.path
        start_ms = self._transcoder.representative_start_ms(
            source, duration_ms=duration_ms, length_ms=PREVIEW_MS
        )
        self._transcoder.preview(source, target, start_ms=start_ms, length_ms=PREVIEW_MS)
        return self._store(item.track_id, PREVIEW, target, upscaled=False)

    def _store(
        self, track_id: str, spec: RenditionSpec, file: Path, *, upscaled: bool
    ) -> Rendition:
        key = audio_key(track_id, spec.file_name)
        stored = self._media.put_file(key, file, content_type=CONTENT_TYPES[spec.extension])
        checksum = file_sha256(file)
        file.unlink(missing_ok=True)
        return Rendition(
            track_id=track_id,
            quality=spec.quality,
            format=spec.extension,
            codec=spec.codec,
            bitrate_kbps=spec.bitrate_kbps,
            size_bytes=stored.size,
            path=key,
            checksum=checksum,
            upscaled=upscaled,
        )


class _Run:
    """One run of the pipeline: the main thread hands out tasks, collects their results and
    feeds the writer; the pool's threads only read, encode and store."""

    def __init__(
        self,
        importer: AudioImporter,
        known: _Known,
        scratch: Path,
        summary: Summary,
        progress: Progress | None,
        writer: CatalogWriter,
        *,
        jobs: int,
        transcode: bool,
    ) -> None:
        self._importer = importer
        self._known = known
        self._scratch = scratch
        self._summary = summary
        self._progress = progress
        self._writer = writer
        self._jobs = jobs
        # Each task's file, and whether the task is the file's read (True) or one of its encodes.
        self._tasks: dict[Future[Any], tuple[_InFlight, bool]] = {}
        self._in_flight = 0
        self._transcode = transcode
        # Copies of a recording whose first file is still being encoded, by content hash: they
        # are written after it, since they refer to its track.
        self._copies: dict[str, list[FileFacts]] = {}

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
            self._flush()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        self._flush()

    def _finished(self, future: Future[Any], pool: ThreadPoolExecutor | None) -> None:
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
        facts, tags = item.facts, item.tags
        assert facts is not None
        assert tags is not None
        if (copies := self._copies.get(facts.content_hash)) is not None:
            self._in_flight -= 1
            copies.append(facts)
            return
        known = self._known.hashes.get(facts.content_hash)
        if known is not None and (known in self._known.encoded or not self._transcode):
            # The same recording again (a copy, a moved file, a touched one): remember the path.
            self._in_flight -= 1
            self._writer.add(KnownRecording(facts, known))
            return
        if known is not None:  # cataloged by an earlier run that left the encoding for later
            item.track_id, item.existing = known, True
        elif item.previous is not None:
            item.track_id, item.existing = item.previous.track_id, True
        elif feed_track := self._known.unheard.claim(
            isrc=tags.isrc,
            title=tags.title,
            artist=(tags.artists or (UNKNOWN_ARTIST,))[0],
            duration_ms=tags.duration_ms,
        ):
            item.track_id, item.existing = feed_track, True
        else:
            item.track_id = id_from_hash(facts.content_hash)
        self._known.hashes[facts.content_hash] = item.track_id
        self._copies[facts.content_hash] = []
        if not self._transcode:
            self._encoded(item)
            return
        plan = plan_ladder(tags)
        item.waiting = len(plan) + 1
        for spec, upscaled in plan:
            target = self._target(item, spec)
            task = pool.submit(self._importer.encode, item, target, spec, upscaled)
            self._tasks[task] = (item, False)
        target = self._target(item, PREVIEW)
        task = pool.submit(self._importer.preview, item, target, tags.duration_ms)
        self._tasks[task] = (item, False)

    def _target(self, item: _InFlight, spec: RenditionSpec) -> Path:
        target = self._scratch / f"{item.track_id}-{spec.file_name}"
        item.scratch.append(target)
        return target

    def _encoded(self, item: _InFlight) -> None:
        """Every encode of the file has ended: hand it to the writer, or report why not."""
        facts, tags = item.facts, item.tags
        assert facts is not None
        assert tags is not None
        copies = self._copies.pop(facts.content_hash, [])
        if item.failure is not None:
            del self._known.hashes[facts.content_hash]
            if item.existing and item.previous is None:
                self._known.unheard.release(item.track_id)
            self._fail(item, item.failure)
            for copy in copies:  # the same bytes, the same failure
                self._report(
                    Outcome(str(copy.path), Status.FAILED, copy.size_bytes, reason=item.failure)
                )
            return
        self._in_flight -= 1
        if item.renditions:
            self._known.encoded.add(item.track_id)
        self._writer.add(
            EncodedFile(
                facts,
                item.track_id,
                tags,
                tuple(sorted(item.renditions, key=_ladder_order)),
                # A file cataloged earlier and only now encoded is imported, not updated.
                updating=item.previous is not None
                and item.previous.content_hash != facts.content_hash,
                existing=item.existing,
            )
        )
        for copy in copies:
            self._writer.add(KnownRecording(copy, item.track_id))

    def _fail(self, item: _InFlight, reason: str) -> None:
        self._in_flight -= 1
        for file in item.scratch:
            file.unlink(missing_ok=True)
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


_LADDER_POSITION = {quality: n for n, quality in enumerate(Quality)}


def _ladder_order(rendition: Rendition) -> int:
    return _LADDER_POSITION[rendition.quality]
