"""The `TranscodeQueue` contract, on the embedded SQLite queue and on JetStream (marked `nats`):
delivery and acks, retries with backoff, dead letters, leases, heartbeats, and the caps."""

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from encore.adapters.transcode.sqlite_queue import SqliteTranscodeQueue
from encore.catalog.model import Quality
from encore.catalog.ports import TranscodeQueue
from encore.catalog.transcoding import (
    WORKER_STOPPED,
    QueuePolicy,
    QueueUnavailable,
    Rung,
    TakenJob,
    TranscodeJob,
)
from encore.ids import new_id
from tests import servers
from tests.e2e.running import free_port

POLICY = QueuePolicy(max_attempts=3, per_user=8, total=64, lease_s=0.6, backoff_base_s=0.3)
OpenQueue = Callable[..., TranscodeQueue]


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("nats", marks=pytest.mark.nats)])
def open_queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenQueue]:
    """Opens a queue with a policy (the module's, changed by keywords) on the test's storage."""
    opened: list[TranscodeQueue] = []
    if request.param == "sqlite":

        def open_sqlite(**changes: object) -> TranscodeQueue:
            queue = SqliteTranscodeQueue(tmp_path / "transcode.db", replace(POLICY, **changes))
            opened.append(queue)
            return queue

        yield open_sqlite
    else:
        from encore.adapters.transcode.jetstream_queue import JetStreamTranscodeQueue

        url = servers.nats_url()
        stream = f"ENCORE_TRANSCODE_TEST_{secrets.token_hex(4).upper()}"

        def open_jetstream(**changes: object) -> TranscodeQueue:
            queue = JetStreamTranscodeQueue(url, replace(POLICY, **changes), stream=stream)
            opened.append(queue)
            return queue

        yield open_jetstream
        cleanup = JetStreamTranscodeQueue(url, POLICY, stream=stream)
        cleanup.delete()
        cleanup.close()
    for queue in opened:
        queue.close()


def job(user: str = "ann", track_id: str | None = None) -> TranscodeJob:
    track_id = track_id or new_id()
    return TranscodeJob(
        track_id=track_id,
        source_key=f"sources/{track_id}/source.flac",
        rungs=(Rung(Quality.LOW), Rung(Quality.HIGH, upscaled=True), Rung(Quality.PREVIEW)),
        submitter_id=user,
        duration_ms=12_345,
    )


def take(queue: TranscodeQueue, wait_s: float = 2.0) -> TakenJob:
    taken = queue.take(wait_s=wait_s)
    assert taken is not None, "no job was given out"
    return taken


def test_a_job_goes_to_one_worker_and_is_gone_once_acked(open_queue: OpenQueue) -> None:
    queue = open_queue()
    first, second = job(), job()
    queue.submit([first, second])
    taken = take(queue)
    assert taken.job == first
    assert taken.attempt == 1
    assert take(queue).job == second
    assert queue.depth().in_flight == 2
    queue.ack(taken)
    assert queue.take(wait_s=0.2) is None
    depth = queue.depth()
    assert (depth.waiting, depth.in_flight, depth.dead) == (0, 1, 0)


def test_jobs_survive_reopening_the_queue(open_queue: OpenQueue) -> None:
    submitted = job()
    first = open_queue()
    first.submit([submitted])
    first.close()
    assert take(open_queue()).job == submitted


def test_a_failed_job_is_retried_after_a_backoff(open_queue: OpenQueue) -> None:
    queue = open_queue()
    submitted = job()
    queue.submit([submitted])
    queue.fail(take(queue), "ffmpeg hiccup")
    started = time.monotonic()
    again = take(queue, wait_s=3.0)
    waited = time.monotonic() - started
    assert again.job == submitted
    assert again.attempt == 2
    assert waited >= 0.2, f"retried after {waited:.2f} s, before its backoff"


def test_a_job_failing_every_attempt_is_dead_lettered_with_its_error(
    open_queue: OpenQueue,
) -> None:
    queue = open_queue(max_attempts=2, backoff_base_s=0.05)
    doomed, fine = job(), job()
    queue.submit([doomed, fine])
    for attempt in (1, 2):
        taken = take(queue)
        while taken.job != doomed:  # the fine one is acked whenever it comes
            queue.ack(taken)
            taken = take(queue)
        assert taken.attempt == attempt
        queue.fail(taken, f"corrupt source (attempt {attempt})")
    assert queue.take(wait_s=0.3) is None
    (letter,) = queue.dead_letters()
    assert (letter.job, letter.attempts, letter.error) == (doomed, 2, "corrupt source (attempt 2)")
    assert queue.dead_letters([fine.job_id]) == []
    assert queue.depth().dead == 1
    # Submitted again (the file was fixed), it leaves the dead letters and runs afresh.
    queue.submit([doomed])
    assert queue.dead_letters() == []
    taken = take(queue)
    assert (taken.job, taken.attempt) == (doomed, 1)


def test_a_job_whose_worker_went_silent_is_given_out_again(open_queue: OpenQueue) -> None:
    queue = open_queue()
    submitted = job()
    queue.submit([submitted])
    take(queue)  # and the worker dies: no heartbeat, no ack
    again = take(queue, wait_s=4.0)
    assert (again.job, again.attempt) == (submitted, 2)
    queue.ack(again)


def test_heartbeats_keep_a_long_job_with_its_worker(open_queue: OpenQueue) -> None:
    queue = open_queue()
    queue.submit([job()])
    taken = take(queue)
    for _ in range(5):
        time.sleep(0.2)
        queue.heartbeat(taken)
    # 1 s held with a lease of 0.6 s: nobody else got it.
    assert queue.take(wait_s=0.2) is None
    queue.ack(taken)


def test_a_job_that_kills_its_worker_on_the_last_attempt_is_dead_lettered(
    open_queue: OpenQueue,
) -> None:
    queue = open_queue(max_attempts=1)
    submitted = job()
    queue.submit([submitted])
    take(queue)
    deadline = time.monotonic() + 3.0
    while not queue.dead_letters() and time.monotonic() < deadline:
        assert queue.take(wait_s=0.2) is None
    (letter,) = queue.dead_letters([submitted.job_id])
    assert letter.error.startswith(WORKER_STOPPED)


def test_one_users_backlog_does_not_hold_up_another(open_queue: OpenQueue) -> None:
    queue = open_queue(per_user=2, lease_s=10.0)
    backlog = [job("ann") for _ in range(5)]
    queue.submit(backlog)
    other = job("bob")
    queue.submit([other])
    held = [take(queue), take(queue)]
    assert [taken.job for taken in held] == backlog[:2]
    # Ann is at her cap: Bob's job, submitted after all of hers, comes next.
    bobs = take(queue)
    assert bobs.job == other
    assert queue.take(wait_s=0.3) is None
    queue.ack(held[0])
    assert take(queue).job.submitter_id == "ann"
    assert queue.take(wait_s=0.3) is None


def test_no_more_than_the_total_cap_are_held_at_once(open_queue: OpenQueue) -> None:
    queue = open_queue(total=3, lease_s=10.0)
    queue.submit([job(f"user{n}") for n in range(5)])
    held = [take(queue) for _ in range(3)]
    assert queue.take(wait_s=0.3) is None
    queue.ack(held[0])
    take(queue)


def test_an_unreachable_nats_is_a_clear_error() -> None:
    from encore.adapters.transcode.jetstream_queue import JetStreamTranscodeQueue

    url = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(QueueUnavailable, match=f"cannot reach NATS at {url}"):
        JetStreamTranscodeQueue(url, POLICY, connect_timeout_s=0.5)
    assert time.monotonic() - started < 10
