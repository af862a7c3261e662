from encore.adapters.cache.memory import MemoryCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_values_expire() -> None:
    clock = Clock()
    cache = MemoryCache(max_entries=10, clock=clock)
    cache.set("a", b"1", ttl_s=5)
    assert cache.get("a") == b"1"
    clock.now += 5
    assert cache.get("a") is None


def test_least_recently_used_goes_first() -> None:
    cache = MemoryCache(max_entries=2)
    cache.set("a", b"1", ttl_s=60)
    cache.set("b", b"2", ttl_s=60)
    assert cache.get("a") == b"1"
    cache.set("c", b"3", ttl_s=60)
    assert cache.get("b") is None
    assert cache.get("a") == b"1"
    assert len(cache) == 2


def test_counters_count_within_their_window() -> None:
    clock = Clock()
    cache = MemoryCache(max_entries=10, clock=clock)
    assert cache.count("n") == 0
    assert [cache.incr("n", ttl_s=60) for _ in range(3)] == [1, 2, 3]
    assert cache.count("n") == 3
    clock.now += 59
    assert cache.incr("n", ttl_s=60) == 4
    clock.now += 1
    assert cache.count("n") == 0
    assert cache.incr("n", ttl_s=60) == 1


def test_delete_and_disabled_cache() -> None:
    cache = MemoryCache(max_entries=10)
    cache.set("a", b"1", ttl_s=60)
    cache.delete("a", "missing")
    assert cache.get("a") is None
    off = MemoryCache(max_entries=0)
    off.set("a", b"1", ttl_s=60)
    assert off.get("a") is None
