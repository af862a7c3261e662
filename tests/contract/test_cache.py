"""The `Cache` contract, run on every adapter: the in-process LRU and Redis."""

import time
from collections.abc import Iterator

import pytest

from encore.adapters.cache.memory import MemoryCache
from encore.adapters.cache.redis import RedisCache
from encore.adapters.redis_client import connect
from encore.cache import Cache
from tests.redis_servers import drop_prefix, shared_redis_url, unique_prefix


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cache(request: pytest.FixtureRequest) -> Iterator[Cache]:
    if request.param == "memory":
        yield MemoryCache(max_entries=1000)
        return
    url, prefix = shared_redis_url(), unique_prefix()
    client = connect(url)
    yield RedisCache(client, prefix=prefix)
    drop_prefix(url, prefix)
    client.close()


def test_a_value_is_read_back_until_replaced_or_deleted(cache: Cache) -> None:
    assert cache.get("a") is None
    cache.set("a", b"\x00first\xff", ttl_s=60)
    assert cache.get("a") == b"\x00first\xff"
    cache.set("a", b"second", ttl_s=60)
    assert cache.get("a") == b"second"
    cache.set("b", b"other", ttl_s=60)
    cache.delete("a", "missing")
    cache.delete()
    assert cache.get("a") is None
    assert cache.get("b") == b"other"


def test_a_value_expires_after_its_ttl(cache: Cache) -> None:
    cache.set("short", b"1", ttl_s=0.05)
    cache.set("long", b"2", ttl_s=60)
    cache.set("never", b"3", ttl_s=0)
    assert cache.get("never") is None
    time.sleep(0.1)
    assert cache.get("short") is None
    assert cache.get("long") == b"2"


def test_a_counter_counts_until_it_expires_from_its_first_increment(cache: Cache) -> None:
    assert cache.count("n") == 0
    started = time.monotonic()
    assert [cache.incr("n", ttl_s=0.8) for _ in range(3)] == [1, 2, 3]
    assert cache.count("n") == 3
    assert cache.count("other") == 0
    time.sleep(0.1)
    assert cache.incr("n", ttl_s=0.8) == 4  # a later increment does not extend the window
    time.sleep(max(0.0, started + 0.9 - time.monotonic()))
    assert cache.count("n") == 0
    assert cache.incr("n", ttl_s=60) == 1
    cache.delete("n")
    assert cache.count("n") == 0
