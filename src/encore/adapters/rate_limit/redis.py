"""Token buckets in Redis: every API node of a fleet draws on the same bucket.

One Lua script reads, refills, takes and writes a bucket atomically, on Redis's own clock, so
that nodes whose clocks differ still agree. While Redis is unreachable every request is let
through (a limiter must not take the service down with it); see `encore.adapters.redis_client`.
"""

from typing import TYPE_CHECKING

from encore.adapters.redis_client import RedisOutages
from encore.rate_limits import Limit

if TYPE_CHECKING:
    from redis import Redis

# KEYS[1]: the bucket (a hash of tokens and when they were counted); ARGV: rate per second,
# burst, 1 to take a token. Answers the seconds to wait, as a string: Lua numbers come back from
# Redis truncated to integers.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(stored[1])
local at = tonumber(stored[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(now - at, 0) * rate)
local wait = 0
if tokens < 1 then
  wait = (1 - tokens) / rate
elseif ARGV[3] == '1' then
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
           'at', string.format('%.17g', now))
-- A bucket left alone this long is full again, the same as no bucket.
redis.call('PEXPIRE', KEYS[1], math.ceil((burst / rate) * 1000) + 1000)
return string.format('%.17g', wait)
"""


class RedisRateLimiter:
    def __init__(self, client: "Redis", *, prefix: str = "encore:") -> None:
        self._prefix = prefix
        self._take = client.register_script(_TAKE)
        self.outages = RedisOutages(
            "rate_limits", meanwhile="rate limits let every request through"
        )

    def take(self, key: str, limit: Limit, *, spend: bool = True) -> float:
        args: list[str | int] = [repr(limit.rate_per_s), limit.burst, 1 if spend else 0]
        wait = self.outages.call(lambda: self._take(keys=[self._prefix + key], args=args), b"0")
        return float(wait)
