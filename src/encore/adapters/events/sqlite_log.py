"""The embedded `EventLog`: one SQLite file, appended to by a background writer.

`publish` only queues the event; a writer thread appends whatever is queued in one transaction
every `flush_interval_s`, so a thousand stream starts a second cost one commit each tick rather
than a thousand. `publish_durably` commits before returning. The file is separate from the
catalog's database, so event bursts never contend for the catalog's write lock.
"""

import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from encore.events import Event, Payload

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    "offset" INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    published_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_events_topic_offset ON events (topic, "offset");
"""
_STOP = object()
log = logging.getLogger(__name__)


class SqliteEventLog:
    def __init__(
        self,
        path: Path,
        *,
        flush_interval_s: float = 0.2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._clock = clock
        self._interval = flush_interval_s
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._lock = threading.Lock()  # one writing connection, shared by writer and callers
        self._db = self._connect()
        self._db.executescript(SCHEMA)
        self._writer = threading.Thread(target=self._write_loop, name="event-log", daemon=True)
        self._writer.start()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=5000")
        return db

    def publish(self, topic: str, payload: Payload) -> None:
        self._queue.put((topic, json.dumps(payload, separators=(",", ":")), self._stamp()))

    def publish_durably(self, topic: str, payloads: Sequence[Payload]) -> None:
        stamp = self._stamp()
        rows = [(topic, json.dumps(p, separators=(",", ":")), stamp) for p in payloads]
        with self._lock:
            self._append(rows)

    def read(self, topic: str, *, after: int = 0, limit: int = 1000) -> Sequence[Event]:
        with self._lock:
            rows = self._db.execute(
                'SELECT "offset", payload, published_at FROM events '
                'WHERE topic = ? AND "offset" > ? ORDER BY "offset" LIMIT ?',
                (topic, after, limit),
            ).fetchall()
        return [
            Event(offset, topic, json.loads(payload), datetime.fromisoformat(published))
            for offset, payload, published in rows
        ]

    def flush(self) -> None:
        """Wait until the writer has appended everything queued before this call."""
        marker = threading.Event()
        self._queue.put(marker)
        marker.wait()

    def close(self) -> None:
        if self._writer.is_alive():
            self._queue.put(_STOP)
            self._writer.join()
        with self._lock:
            self._db.close()

    def _stamp(self) -> str:
        return self._clock().isoformat()

    def _append(self, rows: list[tuple[str, str, str]]) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT INTO events (topic, payload, published_at) VALUES (?, ?, ?)", rows
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _write_loop(self) -> None:
        while True:
            items = [self._queue.get()]
            deadline = time.monotonic() + self._interval
            # Gather what arrives within one interval (a flush or close cuts it short)...
            while isinstance(items[-1], tuple) and (left := deadline - time.monotonic()) > 0:
                try:
                    items.append(self._queue.get(timeout=left))
                except queue.Empty:
                    break
            # ...and whatever is queued already, so that a flush covers all published before it.
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows = [item for item in items if isinstance(item, tuple)]
            if rows:
                try:
                    with self._lock:
                        self._append(rows)
                except Exception:
                    log.exception("Could not append %d events to %s", len(rows), self._path)
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()
            if _STOP in items:
                return
