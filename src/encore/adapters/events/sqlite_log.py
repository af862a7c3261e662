"""The embedded `EventLog`: one SQLite file, appended to by a background writer.

`publish` only queues the event; a writer thread appends whatever is queued in one transaction
every `flush_interval_s`, so a thousand stream starts a second cost one commit each tick rather
than a thousand. `publish_durably` queues its events too, wakes the writer and waits for the
commit: callers that arrive together share one commit (group commit). Every commit is fsync'd
(`synchronous=FULL`), so what `publish_durably` acknowledged survives a crash of the process and
of the machine. The file is separate from the catalog's database, so event bursts never contend
for the catalog's write lock.
"""

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from pathlib import Path

import orjson

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
# A JSON array of [topic, payload, published_at] arrays (each event as `publish` serialised it),
# appended in its order.
APPEND_BATCH = """
INSERT INTO events (topic, payload, published_at)
SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')
FROM json_each(?) ORDER BY key
"""
_STOP = object()
_IDS_PER_STATEMENT = 500
log = logging.getLogger(__name__)


class _Durable(threading.Event):
    """Events whose publisher waits for their commit."""

    def __init__(self, rows: list[bytes]) -> None:
        super().__init__()
        self.rows = rows
        self.error: Exception | None = None


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
        # Readers (the consumers) have a connection of their own: in WAL mode they never wait
        # for the writer's commit.
        self._read_lock = threading.Lock()
        self._reader = self._connect()
        self._wake = threading.Event()  # set by a flush or close, to write now
        self._writer = threading.Thread(target=self._write_loop, name="event-log", daemon=True)
        self._writer.start()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsync'd at every commit, before the writer tells a caller it is done.
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=5000")
        return db

    def publish(self, topic: str, payload: Payload) -> None:
        # Serialised here, queued as bytes: thousands of events a second waiting for the writer
        # as dicts would be objects for the garbage collector to walk, again and again, on the
        # event loop's time. Bytes it does not look at.
        self._queue.put(orjson.dumps((topic, payload, self._clock())))

    def publish_durably(self, topic: str, payloads: Sequence[Payload]) -> None:
        if not payloads:
            return
        if not self._writer.is_alive():
            raise RuntimeError("the event log is closed")
        stamp = self._clock()
        done = _Durable([orjson.dumps((topic, payload, stamp)) for payload in payloads])
        self._queue.put(done)
        self._wake.set()
        done.wait()
        if done.error is not None:
            raise done.error

    def read(self, topic: str, *, after: int = 0, limit: int = 1000) -> Sequence[Event]:
        with self._read_lock:
            rows = self._reader.execute(
                'SELECT "offset", payload, published_at FROM events '
                'WHERE topic = ? AND "offset" > ? ORDER BY "offset" LIMIT ?',
                (topic, after, limit),
            ).fetchall()
        # The events of one `publish` share their time: each distinct one is read once.
        stamps: dict[str, datetime] = {}
        events = []
        for offset, payload, published in rows:
            stamp = stamps.get(published)
            if stamp is None:
                stamp = stamps[published] = datetime.fromisoformat(published)
            events.append(Event(offset, topic, orjson.loads(payload), stamp))
        return events

    def last_offset(self, topic: str) -> int:
        with self._read_lock:
            row = self._reader.execute(
                'SELECT MAX("offset") FROM events WHERE topic = ?', (topic,)
            ).fetchone()
        return int(row[0] or 0)

    def forget_users(self, user_ids: Collection[str]) -> tuple[int, int]:
        """Remove the events of deleted listeners (an account deletion); (1 if any were, how
        many). Consumers read by offset, so a gap is nothing to them; those that had not read
        the events yet would have skipped them anyway."""
        wanted = list(set(user_ids))
        removed = 0
        self.flush()  # what is queued is in the file, and goes too
        with self._lock:
            for start in range(0, len(wanted), _IDS_PER_STATEMENT):
                chunk = wanted[start : start + _IDS_PER_STATEMENT]
                marks = ", ".join("?" * len(chunk))
                cursor = self._db.execute(
                    "DELETE FROM events "  # noqa: S608 - only placeholders are interpolated
                    f"WHERE json_extract(payload, '$.user_id') IN ({marks})",
                    chunk,
                )
                removed += cursor.rowcount
        return (1 if removed else 0), removed

    def flush(self) -> None:
        """Wait until the writer has appended everything queued before this call."""
        marker = threading.Event()
        self._queue.put(marker)
        self._wake.set()
        marker.wait()

    def close(self) -> None:
        if self._writer.is_alive():
            self._queue.put(_STOP)
            self._wake.set()
            self._writer.join()
        with self._lock:
            self._db.close()
        with self._read_lock:
            self._reader.close()

    def _append(self, events: list[bytes]) -> None:
        # One statement for the whole batch: a row at a time would let go of the GIL and take it
        # back for every event, each time waiting on the server's event loop.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            # Text, not a blob: newer SQLite reads a blob given to json_each as binary JSONB.
            self._db.execute(APPEND_BATCH, ((b"[" + b",".join(events) + b"]").decode(),))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _write_loop(self) -> None:
        # The writer sleeps through each interval rather than waiting on the queue: a blocked
        # `get` would wake it for every event, and each wake-up takes the GIL from a request.
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            items: list[object] = []
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows: list[bytes] = []
            durable: list[_Durable] = []
            for item in items:
                if isinstance(item, bytes):
                    rows.append(item)
                elif isinstance(item, _Durable):
                    rows.extend(item.rows)
                    durable.append(item)
            if rows:
                try:
                    with self._lock:
                        self._append(rows)
                except Exception as error:
                    log.exception("Could not append %d events to %s", len(rows), self._path)
                    for waiting in durable:
                        waiting.error = error
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()
            if _STOP in items:
                return
