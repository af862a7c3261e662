"""The `Cache` port: short-lived bytes by key, shared by the API nodes that use the same backend.

Embedded default: an in-process LRU (`encore.adapters.cache.memory`). At scale: Redis.
"""

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class Cache(Protocol):
    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, *, ttl_s: float) -> None: ...
    def delete(self, *keys: str) -> None: ...
    def incr(self, key: str, *, ttl_s: float) -> int:
        """Add one to a counter that lives `ttl_s` from its first increment; the new value."""
        ...

    def count(self, key: str) -> int:
        """A counter's value; 0 when it does not exist or has expired."""
        ...


class DecodedCopies(Generic[T]):
    """The decoded form of cached bytes, kept beside the cache so that a hot entry is decoded
    once per version of its bytes rather than on every read. Bounded: when full it starts over,
    which costs one decode per entry still in use."""

    def __init__(self, decode: Callable[[str, bytes], T], *, max_entries: int) -> None:
        self._decode = decode
        self._max_entries = max_entries
        self._copies: dict[str, tuple[bytes, T]] = {}

    def get(self, key: str, data: bytes) -> T:
        seen = self._copies.get(key)
        if seen is not None and seen[0] == data:
            return seen[1]
        if len(self._copies) >= self._max_entries:
            self._copies.clear()
        decoded = self._decode(key, data)
        self._copies[key] = (data, decoded)
        return decoded
