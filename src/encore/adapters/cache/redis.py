"""The `Cache` in Redis: what the API nodes of a fleet share (sign-in counters, revoked tokens,
cached entitlements, now-playing, catalog documents).

While Redis is unreachable every read misses and every write is dropped (see
`encore.adapters.redis_client`): the API answers from the database, a little slower.
"""

from typing import TYPE_CHECKING

from encore.adapters.redis_client import RedisOutages

if TYPE_CHECKING:
    from redis import Redis

# INCR that starts the expiry with the counter, in one step, as `Cache.incr` promises.
_INCR = """
local value = redis.call('INCR', KEYS[1])
if value == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return value
"""


class RedisCache:
    def __init__(self, client: "Redis", *, prefix: str = "encore:") -> None:
        self._client = client
        self._prefix = prefix
        self._incr = client.register_script(_INCR)
        self.outages = RedisOutages(
            "cache", meanwhile="cache reads miss and cache writes are dropped"
        )

    def get(self, key: str) -> bytes | None:
        found = self.outages.call(lambda: self._client.get(self._prefix + key), None)
        return found if isinstance(found, bytes) else None

    def set(self, key: str, value: bytes, *, ttl_s: float) -> None:
        if ttl_s <= 0:
            return
        self.outages.call(lambda: self._client.set(self._prefix + key, value, px=_ms(ttl_s)), None)

    def delete(self, *keys: str) -> None:
        if keys:
            self.outages.call(lambda: self._client.delete(*(self._prefix + k for k in keys)), None)

    def incr(self, key: str, *, ttl_s: float) -> int:
        value = self.outages.call(
            lambda: self._incr(keys=[self._prefix + key], args=[_ms(ttl_s)]), 0
        )
        return int(value)

    def count(self, key: str) -> int:
        found = self.outages.call(lambda: self._client.get(self._prefix + key), None)
        return int(found) if isinstance(found, bytes) and found.isdigit() else 0


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
