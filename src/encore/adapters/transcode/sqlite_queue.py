"""The embedded `TranscodeQueue`: a table of jobs in its own SQLite file.

Every change is one short `BEGIN IMMEDIATE` transaction, so workers in several processes on the
machine (`encore import` and `encore worker transcode`) share the queue safely. A held job carries a
lease: the time by which its worker must heartbeat, ack or fail it. A job whose lease ran out (its
worker was killed) is given out again, or dead-lettered if that was its last attempt. The per-user
and total caps are part of the query that picks the next job, so they hold across processes.
"""

import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import orjson

from encore.catalog.transcoding import (
    WORKER_STOPPED,
    DeadLetter,
    QueueDepth,
    QueuePolicy,
    TakenJob,
    TranscodeJob,
    backoff_s,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    submitter TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'held', 'dead')),
    attempts INTEGER NOT NULL,
    not_before REAL NOT NULL,
    lease_until REAL,
    lease_id TEXT,
    resubmitted INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    failed_at TEXT
);
CREATE INDEX IF NOT EXISTS ix_jobs_state_seq ON jobs (state, seq);
"""
SUBMIT = """
INSERT INTO jobs (job_id, body, submitter, seq, state, attempts, not_before)
VALUES (:job_id, :body, :submitter, :seq, 'waiting', 0, :now)
ON CONFLICT (job_id) DO UPDATE SET
    body = excluded.body, submitter = excluded.submitter, seq = excluded.seq,
    -- a held job finishes its run, then runs again on the new submission (see `ack`)
    resubmitted = state = 'held',
    state = CASE state WHEN 'held' THEN 'held' ELSE 'waiting' END,
    attempts = CASE state WHEN 'held' THEN attempts ELSE 0 END,
    not_before = excluded.not_before, error = NULL, failed_at = NULL
"""
# The oldest job due whose submitter is under the per-user cap.
NEXT = """
SELECT job_id, body, attempts FROM jobs
WHERE state = 'waiting' AND not_before <= :now
  AND submitter NOT IN (
    SELECT submitter FROM jobs WHERE state = 'held' GROUP BY submitter HAVING COUNT(*) >= :per_user
  )
ORDER BY seq LIMIT 1
"""
_POLL_S = 0.05


class SqliteTranscodeQueue:
    def __init__(
        self,
        path: Path,
        policy: QueuePolicy = QueuePolicy(),
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._policy = policy
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(SCHEMA)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def submit(self, jobs: Sequence[TranscodeJob]) -> None:
        now = self._clock()
        with self._transaction() as db:
            (seq,) = db.execute("SELECT COALESCE(MAX(seq), 0) FROM jobs").fetchone()
            db.executemany(
                SUBMIT,
                [
                    {
                        "job_id": job.job_id,
                        "body": orjson.dumps(job.to_json()).decode(),
                        "submitter": job.submitter_id,
                        "seq": seq + n,
                        "now": now,
                    }
                    for n, job in enumerate(jobs, start=1)
                ],
            )

    def take(self, *, wait_s: float) -> TakenJob | None:
        deadline = time.monotonic() + wait_s
        while True:
            taken = self._take_one()
            if taken is not None or time.monotonic() >= deadline:
                return taken
            time.sleep(min(_POLL_S, max(0.0, deadline - time.monotonic())))

    def _take_one(self) -> TakenJob | None:
        now = self._clock()
        with self._transaction() as db:
            self._reclaim(db, now)
            (held,) = db.execute("SELECT COUNT(*) FROM jobs WHERE state = 'held'").fetchone()
            if held >= self._policy.total:
                return None
            row = db.execute(NEXT, {"now": now, "per_user": self._policy.per_user}).fetchone()
            if row is None:
                return None
            job_id, body, attempts = row
            lease_id = secrets.token_hex(8)
            db.execute(
                "UPDATE jobs SET state = 'held', attempts = attempts + 1, lease_until = ?, "
                "lease_id = ? WHERE job_id = ?",
                (now + self._policy.lease_s, lease_id, job_id),
            )
        return TakenJob(TranscodeJob.from_json(orjson.loads(body)), attempts + 1, lease_id)

    def _reclaim(self, db: sqlite3.Connection, now: float) -> None:
        """Jobs whose worker went silent: due again, or dead after their last attempt."""
        db.execute(
            "UPDATE jobs SET state = 'dead', failed_at = :at, "
            "error = :stopped || ' on each of ' || attempts || ' attempts' "
            "WHERE state = 'held' AND lease_until < :now AND attempts >= :max",
            {
                "now": now,
                "max": self._policy.max_attempts,
                "at": _stamp(now),
                "stopped": WORKER_STOPPED,
            },
        )
        db.execute(
            "UPDATE jobs SET state = 'waiting', not_before = :now, lease_id = NULL "
            "WHERE state = 'held' AND lease_until < :now",
            {"now": now},
        )

    def heartbeat(self, taken: TakenJob) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET lease_until = ? WHERE job_id = ? AND lease_id = ?",
                (self._clock() + self._policy.lease_s, taken.job.job_id, taken.handle),
            )

    def ack(self, taken: TakenJob) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET state = 'waiting', attempts = 0, resubmitted = 0, "
                "lease_id = NULL WHERE job_id = ? AND lease_id = ? AND resubmitted",
                (taken.job.job_id, taken.handle),
            )
            db.execute(
                "DELETE FROM jobs WHERE job_id = ? AND lease_id = ? AND state = 'held'",
                (taken.job.job_id, taken.handle),
            )

    def fail(self, taken: TakenJob, error: str) -> None:
        now = self._clock()
        with self._transaction() as db:
            if taken.attempt >= self._policy.max_attempts:
                db.execute(
                    "UPDATE jobs SET state = 'dead', error = ?, failed_at = ?, lease_id = NULL "
                    "WHERE job_id = ? AND lease_id = ?",
                    (error, _stamp(now), taken.job.job_id, taken.handle),
                )
            else:
                delay = backoff_s(taken.attempt, base_s=self._policy.backoff_base_s)
                db.execute(
                    "UPDATE jobs SET state = 'waiting', not_before = ?, error = ?, "
                    "lease_id = NULL WHERE job_id = ? AND lease_id = ?",
                    (now + delay, error, taken.job.job_id, taken.handle),
                )

    def dead_letters(self, job_ids: Collection[str] | None = None) -> Sequence[DeadLetter]:
        with self._transaction() as db:
            rows = db.execute(
                "SELECT body, attempts, error, failed_at FROM jobs WHERE state = 'dead' "
                "AND (:all OR job_id IN (SELECT value FROM json_each(:ids))) "
                "ORDER BY failed_at, seq",
                {"all": job_ids is None, "ids": orjson.dumps(list(job_ids or ())).decode()},
            ).fetchall()
        return [
            DeadLetter(
                TranscodeJob.from_json(orjson.loads(body)),
                attempts,
                error or "",
                datetime.fromisoformat(failed_at),
            )
            for body, attempts, error, failed_at in rows
        ]

    def depth(self) -> QueueDepth:
        with self._transaction() as db:
            self._reclaim(db, self._clock())
            counts = dict(db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())
        return QueueDepth(
            waiting=counts.get("waiting", 0),
            in_flight=counts.get("held", 0),
            dead=counts.get("dead", 0),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _stamp(unix_s: float) -> str:
    return datetime.fromtimestamp(unix_s, UTC).isoformat()
