"""Transcode workers on the embedded queue with a fake encoder: the caps on transcodes running at
once (per process, per user) hold, one user's backlog does not starve another, and a job whose
track is gone is dead-lettered instead of written."""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from encore.adapters.media.local import LocalMediaStore
from encore.adapters.sql.engine import make_engine
from encore.adapters.sql.migrate import upgrade
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.adapters.transcode.sqlite_queue import SqliteTranscodeQueue
from encore.catalog.audio import RenditionSpec
from encore.catalog.model import Quality
from encore.catalog.service import CatalogService
from encore.catalog.transcode_worker import TranscodeWorker, WorkerPool
from encore.catalog.transcoding import QueuePolicy, Rung, TranscodeJob, source_key
from encore.ids import new_id
from tests.builders import make_album, make_artist, make_track

ENCODE_S = 0.05


class CountingTranscoder:
    """Encodes nothing, slowly, counting encodes running at once, in all and per submitter
    (a source holds its submitter's name)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.most_in_all = 0
        self.finished: list[str] = []

    def encode(self, source: Path, target: Path, spec: RenditionSpec) -> None:
        user = source.read_text()
        with self.lock:
            self.running[user] += 1
            self.most[user] = max(self.most[user], self.running[user])
            self.most_in_all = max(self.most_in_all, sum(self.running.values()))
        time.sleep(ENCODE_S)
        with self.lock:
            self.running[user] -= 1
            self.finished.append(user)
        target.write_bytes(b"encoded")

    def preview(self, source: Path, target: Path, *, start_ms: int, length_ms: int) -> None:
        target.write_bytes(b"preview")

    def representative_start_ms(self, source: Path, *, duration_ms: int, length_ms: int) -> int:
        return 0


@dataclass
class Rig:
    queue: SqliteTranscodeQueue
    transcoder: CountingTranscoder
    worker: TranscodeWorker
    media: LocalMediaStore
    catalog: CatalogService
    uow: SqlUnitOfWorkFactory


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    engine = make_engine(f"sqlite:///{tmp_path / 'encore.db'}")
    upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    queue = SqliteTranscodeQueue(
        tmp_path / "transcode.db", QueuePolicy(per_user=2, max_attempts=1, backoff_base_s=0.01)
    )
    transcoder = CountingTranscoder()
    media = LocalMediaStore(tmp_path / "media")
    worker = TranscodeWorker(
        queue=queue,
        transcoder=transcoder,
        media=media,
        uow=uow,
        scratch_dir=tmp_path / "scratch",
        heartbeat_s=5.0,
    )
    yield Rig(queue, transcoder, worker, media, CatalogService(uow=uow), uow)
    queue.close()


def submit(rig: Rig, user: str, count: int) -> list[str]:
    artist = rig.catalog.add_artist(make_artist())
    album = rig.catalog.add_album(make_album(artist_ids=(artist.id,)))
    jobs = []
    for _ in range(count):
        track = rig.catalog.add_track(make_track(album_id=album.id, artist_ids=(artist.id,)))
        key = source_key(track.id, "flac")
        rig.media.put_bytes(key, user.encode(), content_type="audio/flac")
        jobs.append(TranscodeJob(track.id, key, (Rung(Quality.LOW),), user, 200_000))
    rig.queue.submit(jobs)
    return [job.track_id for job in jobs]


def wait_until_done(rig: Rig, track_ids: list[str], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        with rig.uow(readonly=True) as uow:
            if set(track_ids) <= set(uow.renditions.list_for_tracks(track_ids)):
                return
        assert time.monotonic() < deadline, "the jobs did not finish"
        time.sleep(0.02)


def test_caps_hold_and_one_users_backlog_does_not_starve_another(rig: Rig) -> None:
    backlog = submit(rig, "ann", 8)
    other = submit(rig, "bob", 2)
    with WorkerPool(rig.worker, concurrency=3):
        wait_until_done(rig, backlog + other)
    assert rig.transcoder.most["ann"] == 2  # her cap, though three workers were free
    assert rig.transcoder.most_in_all == 3  # the process's concurrency
    # Bob, who submitted after all of Ann's jobs, was done long before her last one.
    finished = rig.transcoder.finished
    assert max(n for n, user in enumerate(finished) if user == "bob") < len(finished) - 3
    # Every source was removed once its job was done.
    assert not list(rig.media.keys("sources/"))


def test_a_job_for_a_track_not_in_the_catalog_is_dead_lettered(rig: Rig) -> None:
    track_id = new_id()  # a track deleted since its job was queued
    key = source_key(track_id, "flac")
    rig.media.put_bytes(key, b"ann", content_type="audio/flac")
    rig.queue.submit([TranscodeJob(track_id, key, (Rung(Quality.LOW),), "ann", 200_000)])
    with WorkerPool(rig.worker, concurrency=1):
        deadline = time.monotonic() + 5
        while not rig.queue.dead_letters() and time.monotonic() < deadline:
            time.sleep(0.02)
    (letter,) = rig.queue.dead_letters()
    assert letter.error == "the track is no longer in the catalog"
    with rig.uow(readonly=True) as uow:
        assert not uow.renditions.list_for_track(track_id)
