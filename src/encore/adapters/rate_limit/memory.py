"""Token buckets in this process: the embedded `RateLimiter` (one API node, or a test)."""

import threading
import time
from collections.abc import Callable

from encore.rate_limits import Limit


class MemoryRateLimiter:
    def __init__(
        self, *, max_buckets: int = 1_000_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._max_buckets = max_buckets
        self._clock = clock
        # key -> [tokens, when they were counted]; lists, so that a take updates in place.
        self._buckets: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, limit: Limit, *, spend: bool = True) -> float:
        # Plain arithmetic, no calls: this runs on every request of the busiest routes.
        now = self._clock()
        rate = limit.rate_per_s
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self._max_buckets:
                    self._forget_full(now, limit)
                bucket = self._buckets[key] = [float(limit.burst), now]
            elapsed = now - bucket[1]
            tokens = bucket[0] + elapsed * rate if elapsed > 0 else bucket[0]
            if tokens > limit.burst:
                tokens = float(limit.burst)
            bucket[1] = now
            if tokens < 1.0:
                bucket[0] = tokens
                return (1.0 - tokens) / rate
            bucket[0] = tokens - 1.0 if spend else tokens
            return 0.0

    def _forget_full(self, now: float, limit: Limit) -> None:
        """Drop the buckets that have refilled (a new one starts full anyway); if none has,
        start over: a flood of new keys must not grow memory without bound."""
        full_after = limit.burst / limit.rate_per_s
        stale = [key for key, (_, at) in self._buckets.items() if now - at >= full_after]
        for key in stale:
            del self._buckets[key]
        if len(self._buckets) >= self._max_buckets:
            self._buckets.clear()

    def __len__(self) -> int:
        return len(self._buckets)
