"""The `Cache` port: short-lived bytes by key, shared by the API nodes that use the same backend.

Embedded default: an in-process LRU (`encore.adapters.cache.memory`). At scale: Redis.
"""

from typing import Protocol


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
