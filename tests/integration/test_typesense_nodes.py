"""Failover between the nodes of a Typesense cluster, against plain HTTP servers standing in for
nodes: one gone, one not ready (503), one that answers."""

import time
from collections.abc import Iterator

import httpx2 as httpx
import pytest

from encore.adapters.search.typesense_nodes import TypesenseNodes
from tests.integration.nginx import free_port
from tests.status_server import StatusServer


@pytest.fixture
def nodes() -> Iterator[tuple[StatusServer, StatusServer]]:
    made = StatusServer(503), StatusServer(200)
    yield made
    for node in made:
        node.close()


def test_a_request_moves_past_a_dead_node_and_a_lagging_one(
    nodes: tuple[StatusServer, StatusServer],
) -> None:
    lagging, healthy = nodes
    dead = f"http://127.0.0.1:{free_port()}"
    client = TypesenseNodes([dead, lagging.url, healthy.url], api_key="k", timeout_s=2)
    try:
        started = time.monotonic()
        assert client.get("/health").status_code == 200
        assert time.monotonic() - started < 1.0
        assert lagging.requests == 1
        # Both failures are remembered: the next request goes straight to the node that answered.
        assert client.get("/health").status_code == 200
        assert (lagging.requests, healthy.requests) == (1, 2)
    finally:
        client.close()


def test_when_no_node_can_serve_the_caller_sees_why(
    nodes: tuple[StatusServer, StatusServer],
) -> None:
    lagging, _ = nodes
    client = TypesenseNodes([lagging.url], api_key="k", timeout_s=2)
    try:
        assert client.get("/health").status_code == 503
        # Marked down, it is still tried: a cluster with every node down has nothing better.
        assert client.get("/health").status_code == 503
        assert lagging.requests == 2
    finally:
        client.close()
    gone = TypesenseNodes([f"http://127.0.0.1:{free_port()}"], api_key="k", timeout_s=2)
    try:
        with pytest.raises(httpx.ConnectError):
            gone.get("/health")
    finally:
        gone.close()


def test_a_cluster_needs_a_node() -> None:
    with pytest.raises(ValueError, match="at least one node"):
        TypesenseNodes([], api_key="k", timeout_s=1)
