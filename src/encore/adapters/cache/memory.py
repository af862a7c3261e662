"""In-process LRU cache with per-entry expiry: the embedded `Cache`."""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class MemoryCache:
    def __init__(self, *, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, bytes | int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, value = entry
            if expires_at <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, *, ttl_s: float) -> None:
        if self._max_entries <= 0 or ttl_s <= 0:
            return
        with self._lock:
            self._entries[key] = (self._clock() + ttl_s, value)
            self._entries.move_to_end(key)
            self._evict()

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def incr(self, key: str, *, ttl_s: float) -> int:
        with self._lock:
            now = self._clock()
            entry = self._entries.get(key)
            if entry is None or entry[0] <= now or not isinstance(entry[1], int):
                count, expires_at = 1, now + ttl_s
            else:
                count, expires_at = entry[1] + 1, entry[0]
            self._entries[key] = (expires_at, count)
            self._entries.move_to_end(key)
            self._evict()
            return count

    def count(self, key: str) -> int:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self._clock() or not isinstance(entry[1], int):
                return 0
            return entry[1]

    def __len__(self) -> int:
        return len(self._entries)

    def _evict(self) -> None:
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
