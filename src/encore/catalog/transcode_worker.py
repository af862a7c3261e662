"""Transcode workers: take a job from the queue, make its renditions, record them, ack.

A job's source is read from the media store (a local file where the store has one, else a copy in
scratch); each rung is encoded into the job's scratch directory and stored under its media key,
which the store makes visible whole or not at all; only then are the track's renditions written to
the catalog, in one transaction, which is what makes the track playable. A worker killed at any
point leaves at most renditions stored but not recorded, which the job's next delivery overwrites.
While a job runs, a heartbeat keeps the queue from giving it to another worker.
"""

import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from encore.catalog.audio import PREVIEW_MS, RenditionSpec, UnreadableAudio, audio_key
from encore.catalog.import_files import file_sha256
from encore.catalog.model import Quality, Rendition
from encore.catalog.ports import CatalogUnitOfWork, TranscodeQueue, Transcoder
from encore.catalog.service import CatalogChange
from encore.catalog.transcoding import QueueUnavailable, TakenJob, TranscodeJob
from encore.media import MediaStore
from encore.unit_of_work import UnitOfWorkFactory

CONTENT_TYPES = {"ogg": "audio/ogg", "flac": "audio/flac"}
_COPY_CHUNK = 1 << 20
_UNAVAILABLE_PAUSE_S = 1.0
log = logging.getLogger(__name__)


class JobFailed(Exception):
    """The job cannot succeed as it stands; the message is the reason recorded."""


class TranscodeWorker:
    def __init__(
        self,
        *,
        queue: TranscodeQueue,
        transcoder: Transcoder,
        media: MediaStore,
        uow: UnitOfWorkFactory[CatalogUnitOfWork],
        scratch_dir: Path,
        heartbeat_s: float,
        on_change: Callable[[CatalogChange], None] = lambda change: None,
    ) -> None:
        self._queue = queue
        self._transcoder = transcoder
        self._media = media
        self._uow = uow
        self._scratch_dir = scratch_dir
        self._heartbeat_s = heartbeat_s
        self._on_change = on_change

    def work(self, stop: threading.Event, *, wait_s: float = 0.2) -> None:
        """Take and run jobs until `stop` is set; a queue that is down is waited for."""
        while not stop.is_set():
            try:
                taken = self._queue.take(wait_s=wait_s)
                if taken is not None:
                    self.run(taken)
            except QueueUnavailable:
                # A job taken stays the queue's: it is given out again once its lease runs out.
                log.warning("the transcode queue is unavailable; trying again", exc_info=True)
                stop.wait(_UNAVAILABLE_PAUSE_S)

    def run(self, taken: TakenJob) -> None:
        """Run one job and ack it, or fail it with the reason (the queue retries or buries it)."""
        job = taken.job
        try:
            with _Heartbeat(self._queue, taken, self._heartbeat_s):
                self._transcode(job)
        except QueueUnavailable:
            raise
        except Exception as error:  # any failure is the job's, recorded, and retried or buried
            reason = error.detail if isinstance(error, UnreadableAudio) else str(error)
            log.info("transcoding %s failed (attempt %d): %s", job.track_id, taken.attempt, reason)
            self._queue.fail(taken, reason or type(error).__name__)
            return
        self._queue.ack(taken)
        # After the ack: a crash between the two leaves an orphan source, never a lost job.
        self._media.delete(job.source_key)

    def _transcode(self, job: TranscodeJob) -> None:
        self._scratch_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=self._scratch_dir, prefix="job-"))
        try:
            source = self._source(job, scratch)
            if source is None:
                return  # done by an earlier delivery of the same job
            renditions = [
                self._encode(job, source, scratch, rung.spec, rung.upscaled) for rung in job.rungs
            ]
            with self._uow() as uow:
                track = uow.tracks.get(job.track_id)
                if track is None:
                    raise JobFailed("the track is no longer in the catalog")
                uow.renditions.replace_for_tracks([job.track_id], renditions)
                uow.commit()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        self._on_change(
            CatalogChange(
                track_ids=(track.id,),
                album_ids=(track.album_id,) if track.album_id else (),
                artist_ids=track.artist_ids,
            )
        )

    def _source(self, job: TranscodeJob, scratch: Path) -> Path | None:
        stored = self._media.stat(job.source_key)
        if stored is None:
            with self._uow(readonly=True) as uow:
                if uow.renditions.list_for_track(job.track_id):
                    return None
            raise JobFailed(f"the source {job.source_key} is not in the media store")
        local = self._media.local_path(job.source_key)
        if local is not None and local.is_file():
            return local
        copy = scratch / f"source{Path(job.source_key).suffix}"
        with copy.open("wb") as out:
            for start in range(0, stored.size, _COPY_CHUNK):
                end = min(stored.size, start + _COPY_CHUNK) - 1
                for chunk in self._media.read_range(job.source_key, start, end):
                    out.write(chunk)
        return copy

    def _encode(
        self, job: TranscodeJob, source: Path, scratch: Path, spec: RenditionSpec, upscaled: bool
    ) -> Rendition:
        target = scratch / spec.file_name
        if spec.quality is Quality.PREVIEW:
            start_ms = self._transcoder.representative_start_ms(
                source, duration_ms=job.duration_ms, length_ms=PREVIEW_MS
            )
            self._transcoder.preview(source, target, start_ms=start_ms, length_ms=PREVIEW_MS)
        else:
            self._transcoder.encode(source, target, spec)
        key = audio_key(job.track_id, spec.file_name)
        stored = self._media.put_file(key, target, content_type=CONTENT_TYPES[spec.extension])
        return Rendition(
            track_id=job.track_id,
            quality=spec.quality,
            format=spec.extension,
            codec=spec.codec,
            bitrate_kbps=spec.bitrate_kbps,
            size_bytes=stored.size,
            path=key,
            checksum=file_sha256(target),
            upscaled=upscaled,
        )


class _Heartbeat:
    """Tells the queue every `interval_s` that the job is still being worked on."""

    def __init__(self, queue: TranscodeQueue, taken: TakenJob, interval_s: float) -> None:
        self._queue = queue
        self._taken = taken
        self._interval_s = interval_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="transcode-heartbeat", daemon=True)

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._done.wait(self._interval_s):
            try:
                self._queue.heartbeat(self._taken)
            except QueueUnavailable:
                log.warning("a heartbeat did not reach the transcode queue", exc_info=True)


class WorkerPool:
    """`concurrency` threads each running `worker.work`: the per-process cap on transcodes."""

    def __init__(self, worker: TranscodeWorker, *, concurrency: int) -> None:
        self._worker = worker
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=worker.work, args=(self._stop,), name=f"transcode-{n}")
            for n in range(max(1, concurrency))
        ]

    def __enter__(self) -> "WorkerPool":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop taking jobs, and wait for the ones running to end."""
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def wait(self) -> None:
        """Block until the pool is stopped (from another thread or a signal handler)."""
        self._stop.wait()
