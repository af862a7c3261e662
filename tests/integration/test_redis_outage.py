"""Redis stops and starts under the cache and the rate limiter (a private `redis-server`): reads
miss, writes are dropped, limits let requests through, one log line each way, and both use
Redis again by themselves once it answers."""

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from encore.adapters.cache.redis import RedisCache
from encore.adapters.rate_limit.redis import RedisRateLimiter
from encore.adapters.redis_client import connect
from encore.rate_limits import Limit
from tests.redis_servers import PrivateRedis

pytestmark = pytest.mark.redis
LOGGER = "encore.adapters.redis_client"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PrivateRedis]:
    private = PrivateRedis(tmp_path)
    private.start()
    yield private
    private.stop()


def test_the_cache_and_the_limits_ride_out_an_outage(
    server: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    client = connect(server.url)
    cache = RedisCache(client)
    limiter = RedisRateLimiter(client)
    limit = Limit(rate_per_s=0.01, burst=1)
    cache.set("a", b"1", ttl_s=60)
    assert cache.get("a") == b"1"
    assert limiter.take("k", limit) == 0.0
    assert limiter.take("k", limit) > 0

    server.stop()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        started = time.monotonic()
        for _ in range(100):
            assert cache.get("a") is None
            cache.set("a", b"2", ttl_s=60)
            cache.delete("a")
            assert cache.incr("n", ttl_s=60) == 0
            assert cache.count("n") == 0
            assert limiter.take("k", limit) == 0.0  # open, not closed
        assert time.monotonic() - started < 1.0
    assert cache.outages.down
    assert limiter.outages.down
    assert cache.outages.failed_calls >= 500
    assert limiter.outages.failed_calls >= 100
    unreachable = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(unreachable) == 2, unreachable  # one line per component, not one per call
    caplog.clear()

    server.start()
    deadline = time.monotonic() + 5
    while cache.get("a") is None and time.monotonic() < deadline:
        cache.set("a", b"3", ttl_s=60)  # dropped until a retry reaches Redis again
        time.sleep(0.05)
    assert cache.get("a") == b"3"
    assert not cache.outages.down
    while limiter.take("k", limit, spend=False) == 0.0 and time.monotonic() < deadline:
        limiter.take("k", limit)
        time.sleep(0.05)
    assert limiter.take("k", limit) > 0  # limiting again, on the restarted server's bucket
    assert not limiter.outages.down
    back = [r.getMessage() for r in caplog.records if "answers again" in r.getMessage()]
    assert len(back) == 2, back


def test_a_silent_redis_costs_one_timeout_a_second(tmp_path: Path) -> None:
    """A host that accepts nothing and answers nothing (a listening socket never accepted)."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(0)
        # Fill the backlog, so that the next connection waits instead of being accepted.
        filler = socket.create_connection(silent.getsockname())
        port = silent.getsockname()[1]
        cache = RedisCache(connect(f"redis://127.0.0.1:{port}/0"))
        started = time.monotonic()
        for _ in range(200):
            assert cache.get("a") is None
        # One call waited for the timeout (twice: one retry); the others answered at once.
        assert time.monotonic() - started < 1.0
        assert cache.outages.down
        filler.close()
