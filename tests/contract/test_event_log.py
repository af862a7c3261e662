"""The `EventLog` contract. The embedded SQLite log runs it here; the JetStream adapter joins
the parametrisation when it exists."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from encore.adapters.events.sqlite_log import SqliteEventLog
from encore.events import EventLog


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "events.db"


@pytest.fixture
def event_log(log_path: Path) -> Iterator[EventLog]:
    opened = SqliteEventLog(log_path, flush_interval_s=0.05)
    yield opened
    opened.close()


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
    later = event_log.read("stream_started", after=offsets[1], limit=2)
    assert [e.payload["n"] for e in later] == [2, 3]


def test_durable_publishing_needs_no_flush(event_log: EventLog, log_path: Path) -> None:
    event_log.publish_durably("plays", [{"id": "a"}, {"id": "b"}])
    assert [e.payload["id"] for e in event_log.read("plays")] == ["a", "b"]


def test_events_survive_a_restart(log_path: Path) -> None:
    first = SqliteEventLog(log_path, flush_interval_s=10)
    first.publish("t", {"kept": True})
    first.close()  # closing appends what is still queued
    second = SqliteEventLog(log_path)
    try:
        assert [e.payload for e in second.read("t")] == [{"kept": True}]
        second.publish_durably("t", [{"kept": "too"}])
        assert len(second.read("t")) == 2
    finally:
        second.close()


def test_concurrent_publishers_lose_nothing(event_log: EventLog) -> None:
    def publish(worker: int) -> None:
        for n in range(500):
            event_log.publish("busy", {"worker": worker, "n": n})

    threads = [threading.Thread(target=publish, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    event_log.flush()
    seen = {(e.payload["worker"], e.payload["n"]) for e in event_log.read("busy", limit=10_000)}
    assert len(seen) == 2000
