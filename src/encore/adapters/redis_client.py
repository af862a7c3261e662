"""The Redis connection the cache and the rate limiter share, and how they ride out its absence.

Redis holds nothing that Encore cannot do without for a while (cached bytes, counters, rate-limit
buckets), so an outage degrades instead of failing requests: reads miss, writes are dropped and
limits let everyone through. Each outage is logged once when it starts and once when it ends, and
counted for /metrics. While Redis is away only one call a second tries it, so that a host that
does not answer at all costs one timeout a second, not one per request; a call that succeeds
ends the outage, with no restart of Encore.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)
T = TypeVar("T")
# A stuck Redis costs a request at most this long, and only the one request a second that tries.
TIMEOUT_S = 0.25
RETRY_AFTER_S = 1.0


def connect(url: str) -> "Redis":
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # One retry: after Redis restarts, each pooled connection fails once and is replaced.
    return Redis.from_url(
        url,
        socket_timeout=TIMEOUT_S,
        socket_connect_timeout=TIMEOUT_S,
        retry=Retry(NoBackoff(), 1),
        health_check_interval=30,
    )


class RedisOutages:
    """Runs calls to Redis for one component (`cache`, `rate_limits`), answering `fallback`
    while Redis cannot be reached; `meanwhile` says what that means, for the log."""

    def __init__(
        self,
        component: str,
        *,
        meanwhile: str,
        retry_after_s: float = RETRY_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.component = component
        self._meanwhile = meanwhile
        self.failed_calls = 0  # for /metrics: calls answered by the fallback
        self._retry_after_s = retry_after_s
        self._clock = clock
        self._down_since: float | None = None
        self._next_try = 0.0
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def call(self, operation: Callable[[], T], fallback: T) -> T:
        from redis.exceptions import RedisError

        if self._down_since is not None:
            now = self._clock()
            with self._lock:
                if now < self._next_try:
                    self.failed_calls += 1
                    return fallback
                self._next_try = now + self._retry_after_s  # this call is the one that tries
        try:
            answer = operation()
        except RedisError as error:
            self._failed(error)
            return fallback
        if self._down_since is not None:
            self._recovered()
        return answer

    def _failed(self, error: Exception) -> None:
        now = self._clock()
        with self._lock:
            self.failed_calls += 1
            self._next_try = now + self._retry_after_s
            if self._down_since is not None:
                return
            self._down_since = now
        log.warning(
            "Redis is unreachable (%s): %s until it answers", type(error).__name__, self._meanwhile
        )

    def _recovered(self) -> None:
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            down_s = self._clock() - since
            log.warning("Redis answers again after %.1f s: %s use it again", down_s, self.component)
