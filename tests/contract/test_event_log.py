"""The `EventLog` contract, on the embedded SQLite log and on NATS JetStream (marked `nats`)."""

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from encore.adapters.events.sqlite_log import SqliteEventLog
from encore.events import EventLog
from tests import servers

OpenLog = Callable[[], EventLog]


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("nats", marks=pytest.mark.nats)])
def open_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenLog]:
    """Opens the log again on the same storage (a file, or a stream of its own)."""
    opened: list[EventLog] = []
    if request.param == "sqlite":

        def open_sqlite() -> EventLog:
            log = SqliteEventLog(tmp_path / "events.db", flush_interval_s=0.05)
            opened.append(log)
            return log

        yield open_sqlite
    else:
        from encore.adapters.events.jetstream import JetStreamEventLog

        url = servers.nats_url()
        stream = f"ENCORE_TEST_{secrets.token_hex(4).upper()}"

        def open_jetstream() -> EventLog:
            log = JetStreamEventLog(url, stream=stream)
            opened.append(log)
            return log

        yield open_jetstream
        cleanup = JetStreamEventLog(url, stream=stream)
        cleanup.delete_stream()
        cleanup.close()
    for log in opened:
        log.close()


@pytest.fixture
def event_log(open_log: OpenLog) -> EventLog:
    return open_log()


def test_published_events_are_read_back_in_order_by_topic(event_log: EventLog) -> None:
    for n in range(5):
        event_log.publish("stream_started", {"n": n})
    event_log.publish("other", {"n": -1})
    event_log.flush()
    events = event_log.read("stream_started")
    assert [e.payload["n"] for e in events] == [0, 1, 2, 3, 4]
    offsets = [e.offset for e in events]
    assert offsets == sorted(offsets)
    assert len(set(offsets)) == 5
    assert event_log.last_offset("stream_started") == offsets[-1]
    assert event_log.last_offset("nothing") == 0
    later = event_log.read("stream_started", after=offsets[1], limit=2)
    assert [e.payload["n"] for e in later] == [2, 3]
    rest = event_log.read("stream_started", after=later[-1].offset)
    assert [e.payload["n"] for e in rest] == [4]
    assert event_log.read("stream_started", after=offsets[-1]) == []
    again = event_log.read("stream_started", after=0, limit=1)  # back to the start
    assert [e.payload["n"] for e in again] == [0]


def test_durable_publishing_needs_no_flush(event_log: EventLog) -> None:
    event_log.publish_durably("plays", [{"id": "a"}, {"id": "b"}])
    assert [e.payload["id"] for e in event_log.read("plays")] == ["a", "b"]


def test_events_survive_a_restart(open_log: OpenLog) -> None:
    first = open_log()
    first.publish("t", {"kept": True})
    first.flush()
    first.close()
    second = open_log()
    assert [e.payload for e in second.read("t")] == [{"kept": True}]
    second.publish_durably("t", [{"kept": "too"}])
    assert len(second.read("t")) == 2


def test_concurrent_publishers_lose_nothing(event_log: EventLog) -> None:
    def publish(worker: int) -> None:
        for n in range(500):
            event_log.publish("busy", {"worker": worker, "n": n})
        event_log.publish_durably("busy", [{"worker": worker, "n": n} for n in range(500, 600)])

    threads = [threading.Thread(target=publish, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    event_log.flush()
    seen = {(e.payload["worker"], e.payload["n"]) for e in event_log.read("busy", limit=10_000)}
    assert len(seen) == 2400


@pytest.mark.nats
def test_a_jetstream_reader_idle_past_the_servers_limit_reads_on() -> None:
    """The server deletes a pull consumer nobody fetched from for a while: a consumer that had
    caught up and waited must still get what is published after."""
    from encore.adapters.events.jetstream import JetStreamEventLog

    url = servers.nats_url()
    stream = f"ENCORE_TEST_{secrets.token_hex(4).upper()}"
    log = JetStreamEventLog(url, stream=stream, idle_reader_s=1.0)
    try:
        log.publish_durably("listens", [{"n": n} for n in range(3)])
        first = log.read("listens", after=0, limit=100)
        assert [e.payload["n"] for e in first] == [0, 1, 2]
        assert log.read("listens", after=first[-1].offset, limit=100) == []
        time.sleep(7.0)  # the server looks for idle consumers every few seconds
        log.publish_durably("listens", [{"n": n} for n in (3, 4)])
        later = log.read("listens", after=first[-1].offset, limit=100)
        assert [e.payload["n"] for e in later] == [3, 4]
    finally:
        log.delete_stream()
        log.close()
