"""Importing audio files: tags into the catalog, sound into the bitrate ladder.

The work is a pipeline on one pool of `jobs` threads. A file is first hashed and its tags read;
its source is then copied into the media store, and the file goes to the `CatalogWriter`, which
writes files to the catalog in batches, one transaction each, as tracks without renditions. Once
a batch is committed, a transcode job per new recording goes to the `TranscodeQueue`; workers
(`jobs` of them in this process unless the importer is given none, or `encore worker transcode`
processes anywhere) make the ladder and record the renditions, which makes the track playable.
The run waits for its jobs and reports a file imported once its renditions exist, or failed with
the error of its dead-lettered job. At most `jobs * FILES_IN_FLIGHT_PER_JOB` files are between
being read and being done, which also bounds the sources waiting in the media store.

What the run needs to know of the catalog (files imported before, recordings it has, tracks known
only from feeds) is read once at the start, so the pipeline's hot loop reads nothing.

A run may also leave the encoding for later (`transcode=False`): files are cataloged as tracks
without audio (searchable, not yet streamable), which makes a large library browsable in seconds;
any later run encodes the tracks that still have no renditions.

A crash or Ctrl-C at any point leaves the catalog as it was before the batch being written; on
Ctrl-C the files read so far are written before the run stops, and their jobs stay queued for
any worker. The next run finds the files not done and does them again, overwriting any media
stored under the same keys.
"""

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from encore.catalog.audio import AudioTags, UnreadableAudio, plan_ladder
from encore.catalog.feed_matching import UnheardTracks
from encore.catalog.import_files import FoundFile, file_sha256, find_audio_files
from encore.catalog.import_summary import Outcome, Progress, Status, Summary
from encore.catalog.import_writer import CatalogWriter, EncodedFile, FileFacts, KnownRecording
from encore.catalog.model import ImportSource, Quality
from encore.catalog.naming import UNKNOWN_ARTIST
from encore.catalog.ports import CatalogUnitOfWork, TagReader, TranscodeQueue
from encore.catalog.service import CatalogChange
from encore.catalog.transcode_worker import TranscodeWorker, WorkerPool
from encore.catalog.transcoding import QueueUnavailable, Rung, TranscodeJob, source_key
from encore.ids import id_from_digest
from encore.media import MediaStore
from encore.unit_of_work import UnitOfWorkFactory

# Files between read and transcoded, per worker: enough that the workers always have jobs.
FILES_IN_FLIGHT_PER_JOB = 3
# The submitter of jobs from the command line, for the per-user cap: imports are an operator's.
OPERATOR = "operator"
_POLL_S = 0.1  # how often the run looks for its jobs' renditions and dead letters


@dataclass
class _InFlight:
    """A file between being found and being handed to the writer."""

    found: FoundFile
    previous: ImportSource | None
    facts: FileFacts | None = None
    tags: AudioTags | None = None
    track_id: str = ""
    existing: bool = False  # the track is in the catalog already (re-import, or a feed's)
    job: TranscodeJob | None = None
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
        queue: TranscodeQueue,
        media: MediaStore,
        worker: TranscodeWorker | None = None,
        submitter_id: str = OPERATOR,
        on_change: Callable[[CatalogChange], None] = lambda change: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        batch_files: int = 200,
    ) -> None:
        self._uow = uow
        self._tags = tags
        self._queue = queue
        self._media = media
        self._worker = worker
        self._submitter_id = submitter_id
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
            run = _Run(
                self, known, summary, progress, writer, jobs=max(1, jobs), transcode=transcode
            )
            # This run's own workers, stopped (after their current jobs) when it ends.
            workers = (
                WorkerPool(self._worker, concurrency=max(1, jobs))
                if self._worker is not None and transcode
                else nullcontext()
            )
            with workers:
                run.go(todo)
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

    def stage(self, item: _InFlight) -> TranscodeJob:
        """Put the file's source where workers find it; the job that will transcode it."""
        tags = item.tags
        assert tags is not None
        path = item.found.path
        key = source_key(item.track_id, path.suffix.lstrip("."))
        self._media.put_file(key, path, content_type="application/octet-stream")
        rungs = [Rung(spec.quality, upscaled) for spec, upscaled in plan_ladder(tags)]
        return TranscodeJob(
            track_id=item.track_id,
            source_key=key,
            rungs=(*rungs, Rung(Quality.PREVIEW)),
            submitter_id=self._submitter_id,
            duration_ms=tags.duration_ms,
        )

    def submit(self, jobs: Sequence[TranscodeJob]) -> None:
        self._queue.submit(jobs)

    def settled(self, track_ids: Sequence[str]) -> tuple[set[str], dict[str, str]]:
        """Of these tracks' jobs: those done (the track has renditions), and those dead-lettered
        with their errors."""
        with self._uow(readonly=True) as uow:
            done = set(uow.renditions.list_for_tracks(track_ids))
        dead = {}
        for letter in self._queue.dead_letters(track_ids):
            if letter.job.track_id not in done:
                dead[letter.job.track_id] = letter.error
                # Kept for no one: the next import of the file stages it again.
                self._media.delete(letter.job.source_key)
        return done, dead


class _Run:
    """One run of the pipeline: the main thread hands out tasks, collects their results, feeds
    the writer, submits jobs and watches for them to settle; the pool's threads only read and
    stage sources."""

    def __init__(
        self,
        importer: AudioImporter,
        known: _Known,
        summary: Summary,
        progress: Progress | None,
        writer: CatalogWriter,
        *,
        jobs: int,
        transcode: bool,
    ) -> None:
        self._importer = importer
        self._known = known
        self._summary = summary
        self._progress = progress
        self._writer = writer
        self._jobs = jobs
        # Each task's file, and whether the task is the file's read (True) or its staging.
        self._tasks: dict[Future[Any], tuple[_InFlight, bool]] = {}
        self._in_flight = 0
        self._transcode = transcode
        # Copies of a recording whose first file is still being staged, by content hash: they
        # are written after it, since they refer to its track.
        self._copies: dict[str, list[FileFacts]] = {}
        self._staged: dict[
            str, TranscodeJob
        ] = {}  # by track: written to the writer, not yet queued
        self._awaiting: dict[str, list[Outcome]] = {}  # by track: queued, reported once settled
        self._polled = 0.0

    def go(self, todo: list[_InFlight]) -> None:
        waiting: Iterator[_InFlight] = iter(todo)
        exhausted = False
        limit = self._jobs * FILES_IN_FLIGHT_PER_JOB
        pool = ThreadPoolExecutor(max_workers=self._jobs, thread_name_prefix="import")
        try:
            while True:
                while not exhausted and self._in_flight < limit:
                    if (item := next(waiting, None)) is None:
                        exhausted = True
                        break
                    self._in_flight += 1
                    self._tasks[pool.submit(self._importer.read, item)] = (item, True)
                if self._tasks:
                    done, _ = wait(self._tasks, timeout=_POLL_S, return_when=FIRST_COMPLETED)
                    for future in done:
                        self._finished(future, pool)
                if self._writer.due or not self._tasks:
                    self._flush()
                self._collect(force=not self._tasks)
                if exhausted and not self._tasks and not self._awaiting:
                    break
                if not self._tasks:
                    time.sleep(_POLL_S)
        except BaseException as error:
            self._summary.interrupted = True
            pool.shutdown(wait=True, cancel_futures=True)
            if not isinstance(error, QueueUnavailable):
                # Files read and staged are written and their jobs queued, for any worker.
                for future in list(self._tasks):
                    if not future.cancelled() and future.exception() is None:
                        self._finished(future, None)
                self._flush()
            for outcomes in self._awaiting.values():
                for outcome in outcomes:
                    self._report(outcome)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _finished(self, future: Future[Any], pool: ThreadPoolExecutor | None) -> None:
        item, is_read = self._tasks.pop(future)
        error = future.exception()
        if error is not None and not isinstance(error, UnreadableAudio | OSError):
            raise error
        if is_read:
            if error is not None:
                self._fail(item, _reason(error))
            elif pool is not None:
                self._start_staging(item, pool)
            return
        if error is not None:
            item.failure = _reason(error)
        else:
            item.job = future.result()
        self._staged_or_failed(item)

    def _start_staging(self, item: _InFlight, pool: ThreadPoolExecutor) -> None:
        """Tags read and content hashed: skip a known recording, or stage it for transcoding."""
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
            self._staged_or_failed(item)
            return
        self._tasks[pool.submit(self._importer.stage, item)] = (item, False)

    def _staged_or_failed(self, item: _InFlight) -> None:
        """Hand the file to the writer (its job waits for the write), or report why not."""
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
        if item.job is None:
            self._in_flight -= 1
        else:
            self._staged[item.track_id] = item.job
        self._writer.add(
            EncodedFile(
                facts,
                item.track_id,
                tags,
                # Renditions of the audio the file held before are not this audio's: the track
                # is playable again once its job has made the new ones.
                (),
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
        found = item.found
        self._report(Outcome(str(found.path), Status.FAILED, found.size_bytes, reason=reason))

    def _flush(self) -> None:
        """Write what is pending, and queue the jobs of the tracks now in the catalog."""
        queued: list[TranscodeJob] = []
        for outcome in self._writer.flush():
            track_id = outcome.track_id
            if track_id is not None and track_id in self._awaiting:
                self._awaiting[track_id].append(outcome)  # a copy of a recording in the queue
            elif track_id is not None and (job := self._staged.pop(track_id, None)) is not None:
                if outcome.status is Status.FAILED:
                    self._in_flight -= 1
                    self._report(outcome)
                else:
                    queued.append(job)
                    self._awaiting[track_id] = [outcome]
            else:
                self._report(outcome)
        if queued:
            self._importer.submit(queued)

    def _collect(self, *, force: bool) -> None:
        """Report the files whose jobs are done or dead-lettered."""
        now = time.monotonic()
        if not self._awaiting or (not force and now - self._polled < _POLL_S):
            return
        self._polled = now
        done, dead = self._importer.settled(list(self._awaiting))
        for track_id in done:
            self._in_flight -= 1
            self._known.encoded.add(track_id)
            for outcome in self._awaiting.pop(track_id):
                self._report(outcome)
        for track_id, error in dead.items():
            self._in_flight -= 1
            reason = f"transcoding failed: {error}"
            for outcome in self._awaiting.pop(track_id):
                self._report(replace(outcome, status=Status.FAILED, track_id=None, reason=reason))

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
