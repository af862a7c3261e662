"""Token buckets on an injected clock: burst, refill, waits and `Retry-After`; the route policy;
the sign-in guard's growing delay."""

import pytest

from encore.accounts.login_guard import FAILURE_WINDOW_S, LoginGuard
from encore.adapters.cache.memory import MemoryCache
from encore.adapters.rate_limit.memory import MemoryRateLimiter
from encore.errors import RateLimited
from encore.rate_limits import Limit, RouteLimits, retry_after_s


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limiter(clock: Clock) -> MemoryRateLimiter:
    return MemoryRateLimiter(clock=clock)


def test_a_fresh_bucket_allows_its_burst_then_says_how_long_to_wait(
    limiter: MemoryRateLimiter,
) -> None:
    limit = Limit(rate_per_s=0.5, burst=3)
    assert [limiter.take("k", limit) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("k", limit) == pytest.approx(2.0)
    # A refused request takes nothing: the wait stays the same.
    assert limiter.take("k", limit) == pytest.approx(2.0)


def test_a_bucket_refills_at_its_rate_up_to_its_burst(
    limiter: MemoryRateLimiter, clock: Clock
) -> None:
    limit = Limit(rate_per_s=2.0, burst=4)
    for _ in range(4):
        limiter.take("k", limit)
    clock.now += 0.25  # half a token
    assert limiter.take("k", limit) == pytest.approx(0.25)
    clock.now += 0.25
    assert limiter.take("k", limit) == 0.0
    assert limiter.take("k", limit) == pytest.approx(0.5)
    clock.now += 3600  # an hour idle fills the bucket, and no more
    assert [limiter.take("k", limit) for _ in range(5)][-2:] == [0.0, pytest.approx(0.5)]


def test_a_peek_takes_nothing(limiter: MemoryRateLimiter) -> None:
    limit = Limit(rate_per_s=1.0, burst=1)
    assert limiter.take("k", limit, spend=False) == 0.0
    assert limiter.take("k", limit) == 0.0
    assert limiter.take("k", limit, spend=False) == pytest.approx(1.0)


def test_buckets_are_by_key(limiter: MemoryRateLimiter) -> None:
    limit = Limit(rate_per_s=1.0, burst=1)
    assert limiter.take("a", limit) == 0.0
    assert limiter.take("b", limit) == 0.0
    assert limiter.take("a", limit) > 0


def test_the_number_of_buckets_is_bounded(clock: Clock) -> None:
    limiter = MemoryRateLimiter(max_buckets=100, clock=clock)
    limit = Limit(rate_per_s=1.0, burst=1)
    for number in range(1000):
        limiter.take(f"k{number}", limit)
    assert len(limiter) <= 100
    clock.now += 1.0  # every bucket has refilled: the stale ones go first
    limiter.take("fresh", limit)
    assert len(limiter) == 1


@pytest.mark.parametrize(
    ("wait", "header"), [(0.001, 1), (0.999, 1), (1.0, 1), (1.000001, 2), (5.5, 6), (99.9, 100)]
)
def test_retry_after_is_whole_seconds_rounded_up(wait: float, header: int) -> None:
    assert retry_after_s(wait) == header


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_a_limit_needs_a_rate_and_a_burst(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate above 0"):
        Limit(rate, burst)


def test_route_limits_key_by_listener_else_by_address(limiter: MemoryRateLimiter) -> None:
    limits = RouteLimits(limiter, {"search": Limit(rate_per_s=0.25, burst=1)})
    limits.check("search", user_id="ada", client="10.0.0.1")
    limits.check("search", user_id=None, client="10.0.0.1")
    limits.check("search", user_id="bob", client="10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        limits.check("search", user_id="ada", client="10.0.0.2")
    assert refused.value.retry_after_s == 4
    with pytest.raises(RateLimited):
        limits.check("search", user_id=None, client="10.0.0.1")
    # A class without a limit is not limited.
    for _ in range(10):
        limits.check("stream", user_id="ada", client="10.0.0.1")


def test_the_sign_in_delay_doubles_to_its_cap_and_expires(clock: Clock) -> None:
    cache = MemoryCache(max_entries=100, clock=clock)
    guard = LoginGuard(
        cache=cache,
        limiter=MemoryRateLimiter(clock=clock),
        attempts_per_minute=1000,
        max_delay_s=2.0,
    )
    delays = []
    for _ in range(8):
        delays.append(guard.delay_s("ada@example.com"))
        guard.failed("ada@example.com", "10.0.0.1")
    assert delays == [0.0, 0.0, 0.0, 0.0, 0.25, 0.5, 1.0, 2.0]
    assert guard.delay_s("bob@example.com") == 0.0
    clock.now += FAILURE_WINDOW_S
    assert guard.delay_s("ada@example.com") == 0.0


def test_failed_sign_ins_are_limited_per_account_and_address(clock: Clock) -> None:
    guard = LoginGuard(
        cache=MemoryCache(max_entries=100, clock=clock),
        limiter=MemoryRateLimiter(clock=clock),
        attempts_per_minute=2,
        max_delay_s=0,
    )
    for _ in range(2):
        guard.check("ada@example.com", "10.0.0.1", "too many")
        guard.failed("ada@example.com", "10.0.0.1")
    with pytest.raises(RateLimited, match="too many") as refused:
        guard.check("ada@example.com", "10.0.0.1", "too many")
    assert refused.value.retry_after_s == 30  # two a minute: one every 30 s
    guard.check("ada@example.com", "10.0.0.2", "too many")
    clock.now += 30
    guard.check("ada@example.com", "10.0.0.1", "too many")
