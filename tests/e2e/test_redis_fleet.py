"""Two API nodes on one Redis: they share rate-limit buckets, and the API keeps answering while
Redis is away (a private `redis-server`, stopped and started)."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from encore.api.app import create_app
from encore.bootstrap import Services
from tests.e2e.conftest import LOOPBACK, Listener
from tests.redis_servers import PrivateRedis, drop_prefix, shared_redis_url, unique_prefix

pytestmark = pytest.mark.redis
SEARCH = "/api/v1/search?q=harbour&type=track"


def fleet_settings(tmp_path: Path, redis_url: str, prefix: str) -> dict[str, Any]:
    """What the nodes of one fleet share: database, secret and Redis."""
    return {
        "database_url": f"sqlite:///{tmp_path / 'fleet.db'}",
        "secret_key": "fleet-secret-" + "x" * 32,
        "cache_backend": "redis",
        "redis_url": redis_url,
        "redis_key_prefix": prefix,
        "rate_limit_search_per_s": 0.01,
        "rate_limit_search_burst": 4,
    }


@pytest.fixture
def shared_redis() -> Iterator[tuple[str, str]]:
    url, prefix = shared_redis_url(), unique_prefix()
    yield url, prefix
    drop_prefix(url, prefix)


def test_two_nodes_draw_on_one_bucket(
    make_services: Callable[..., Services], tmp_path: Path, shared_redis: tuple[str, str]
) -> None:
    settings = fleet_settings(tmp_path, *shared_redis)
    with (
        TestClient(create_app(make_services(**settings))) as first,
        TestClient(create_app(make_services(**settings))) as second,
    ):
        ada = Listener(first, "ada@example.com")
        statuses = [node.get(SEARCH, headers=ada.auth).status_code for node in (first, second) * 2]
        assert statuses == [200] * 4
        for node in (first, second):
            refused = node.get(SEARCH, headers=ada.auth)
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "100"
        # A token one node issued works on the other.
        bob = Listener(second, "bob@example.com")
        assert first.get("/api/v1/me", headers=bob.auth).status_code == 200


def metric(client: TestClient, name: str, component: str) -> float:
    text = client.get("/metrics").text
    line = f'{name}{{component="{component}"}} '
    found = [row for row in text.splitlines() if row.startswith(line)]
    assert found, text
    return float(found[0][len(line) :])


def test_the_api_keeps_answering_while_redis_is_away(
    make_services: Callable[..., Services], tmp_path: Path
) -> None:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        settings = fleet_settings(tmp_path, server.url, "encore:")
        with TestClient(create_app(make_services(**settings)), client=LOOPBACK) as client:
            ada = Listener(client, "ada@example.com")
            assert metric(client, "encore_redis_down", "cache") == 0
            server.stop()
            # Limits let everyone through rather than nobody: more than the burst of searches.
            for _ in range(8):
                assert client.get(SEARCH, headers=ada.auth).status_code == 200
            assert client.get("/api/v1/me", headers=ada.auth).status_code == 200
            assert Listener(client, "bob@example.com").access_token
            assert metric(client, "encore_redis_down", "rate_limits") == 1
            assert metric(client, "encore_redis_fallbacks_total", "rate_limits") >= 8
            assert metric(client, "encore_redis_fallbacks_total", "cache") > 0
            server.start()
            # Within a retry interval (1 s) Redis is used again, with no restart of Encore.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                client.get(SEARCH, headers=ada.auth)
                if metric(client, "encore_redis_down", "rate_limits") == 0:
                    break
                time.sleep(0.05)
            assert metric(client, "encore_redis_down", "rate_limits") == 0
    finally:
        server.stop()
