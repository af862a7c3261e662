"""Where catalog reads go: a PostgreSQL streaming replica while it answers and keeps up, else the
primary.

The replica's state is known ahead of the requests: a probe runs in the background at most every
`recheck_s`, so a replica that is down or behind costs a request nothing (no connect timeout), and
one that comes back takes the reads again at the next probe. A request that finds the replica gone
between two probes marks it down at once and reads from the primary.
"""

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

# Lag is the age of the last replayed transaction, but only while WAL waits to be replayed: an idle
# primary sends nothing, and a replica with nothing to replay is not behind however old that is.
LAG_QUERY = text(
    """
    SELECT pg_is_in_recovery() AS in_recovery,
           CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()
                  OR pg_last_wal_receive_lsn() < pg_last_wal_replay_lsn()
                THEN 0.0
                ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
           END AS lag_s
    """
)


class ReplicaReads:
    """Hands out connections for reads that may be a little stale: the replica's while it is
    healthy (in recovery, lag within `max_lag_s`), the primary's otherwise."""

    def __init__(
        self,
        primary: Engine,
        replica: Engine,
        *,
        max_lag_s: float,
        recheck_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._primary = primary
        self._replica = replica
        self._max_lag_s = max_lag_s
        self._recheck_s = recheck_s
        self._clock = clock
        self._lock = threading.Lock()
        self._healthy: bool | None = None  # unknown until the first probe: the primary meanwhile
        self._checked_at = -float("inf")
        self._probe: threading.Thread | None = None
        self._closed = False

    @property
    def replica(self) -> Engine:
        return self._replica

    def uses_replica(self) -> bool:
        """Whether reads go to the replica now (as of the last probe)."""
        return self._healthy is True

    def connect(self) -> Connection:
        """A connection for a read: the replica's when healthy, else the primary's."""
        self._probe_when_due()
        if self._healthy is True:
            try:
                return self._replica.connect()
            except SQLAlchemyError as error:
                self._set(False, f"it refused a connection ({_first_line(error)})")
        return self._primary.connect()

    def probe(self) -> bool:
        """Ask the replica whether it is in recovery and how far behind; remember the answer."""
        try:
            with self._replica.connect() as connection:
                row = connection.execute(LAG_QUERY).one()
        except SQLAlchemyError as error:
            return self._set(False, f"it does not answer ({_first_line(error)})")
        finally:
            self._checked_at = self._clock()
        if not row.in_recovery:
            return self._set(False, "it is not in recovery (promoted?)")
        if row.lag_s is None or float(row.lag_s) > self._max_lag_s:
            return self._set(False, f"it lags {row.lag_s} s (bound {self._max_lag_s} s)")
        return self._set(True, "")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            running = self._probe
        if running is not None:
            running.join()  # its connection must go back to the pool before the pool goes
        self._replica.dispose()

    def _probe_when_due(self) -> None:
        with self._lock:
            if self._closed or (self._probe is not None and self._probe.is_alive()):
                return
            if self._clock() - self._checked_at < self._recheck_s:
                return
            self._probe = threading.Thread(target=self.probe, name="replica-probe", daemon=True)
            self._probe.start()

    def _set(self, healthy: bool, reason: str) -> bool:
        if healthy != self._healthy:
            if healthy:
                log.info("catalog reads go to the replica again")
            else:
                # Its pooled connections may be dead: the pool's pre-ping replaces them on checkout.
                log.warning("catalog reads go to the primary: the replica is unusable, %s", reason)
        self._healthy = healthy
        return healthy


def _first_line(error: SQLAlchemyError) -> str:
    cause = getattr(error, "orig", None) or error
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]
