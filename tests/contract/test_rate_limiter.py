"""The `RateLimiter` contract, run on every adapter: in process and in Redis (where two API
nodes, here two limiters on their own connections, draw on one bucket)."""

import time
from collections.abc import Callable, Iterator

import pytest

from encore.adapters.rate_limit.memory import MemoryRateLimiter
from encore.adapters.rate_limit.redis import RedisRateLimiter
from encore.adapters.redis_client import connect
from encore.rate_limits import Limit, RateLimiter
from tests.redis_servers import drop_prefix, shared_redis_url, unique_prefix

# A limiter maker: each call is another API node on the same backend.
Nodes = Callable[[], RateLimiter]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def nodes(request: pytest.FixtureRequest) -> Iterator[Nodes]:
    if request.param == "memory":
        shared = MemoryRateLimiter()
        yield lambda: shared
        return
    url, prefix = shared_redis_url(), unique_prefix()
    clients = []

    def node() -> RateLimiter:
        clients.append(connect(url))
        return RedisRateLimiter(clients[-1], prefix=prefix)

    yield node
    drop_prefix(url, prefix)
    for client in clients:
        client.close()


def test_the_burst_then_the_wait_for_one_token(nodes: Nodes) -> None:
    limiter = nodes()
    limit = Limit(rate_per_s=0.5, burst=3)
    assert [limiter.take("k", limit) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("k", limit)
    assert 1.9 < wait <= 2.0
    assert limiter.take("other", limit) == 0.0


def test_a_peek_takes_nothing(nodes: Nodes) -> None:
    limiter = nodes()
    limit = Limit(rate_per_s=0.5, burst=1)
    assert limiter.take("k", limit, spend=False) == 0.0
    assert limiter.take("k", limit) == 0.0
    assert limiter.take("k", limit, spend=False) > 1.9


def test_tokens_come_back_at_the_rate_up_to_the_burst(nodes: Nodes) -> None:
    limiter = nodes()
    limit = Limit(rate_per_s=10.0, burst=2)
    assert [limiter.take("k", limit) for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("k", limit) > 0
    time.sleep(0.35)  # three tokens' worth, but the bucket holds two
    assert [limiter.take("k", limit) == 0.0 for _ in range(3)] == [True, True, False]


def test_nodes_share_one_bucket(nodes: Nodes) -> None:
    first, second = nodes(), nodes()
    limit = Limit(rate_per_s=0.01, burst=4)
    taken = [node.take("k", limit) for node in (first, second, first, second)]
    assert taken == [0.0] * 4
    assert first.take("k", limit) > 99
    assert second.take("k", limit) > 99
