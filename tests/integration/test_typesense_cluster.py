"""Search on a real three-node Typesense cluster (Raft) while one node is killed with SIGKILL: a
follower, then the leader. Searches and writes go on within a bounded time, and a node that comes
back catches up with what was written while it was gone."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from encore.adapters.search.typesense_index import TypesenseSearchIndex
from encore.search.model import Kind
from tests.contract.test_search_index import ids, track
from tests.typesense_server import TypesenseCluster, running_typesense_cluster

pytestmark = [pytest.mark.typesense, pytest.mark.slow]

T = TypeVar("T")
# A follower's loss costs nothing; the leader's costs an election (Typesense's Raft timeout is 5 s).
FOLLOWER_LOSS_S = 2.0
LEADER_LOSS_S = 15.0


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[TypesenseCluster]:
    with running_typesense_cluster(tmp_path / "typesense", size=3) as running:
        yield running


def _within(seconds: float, attempt: Callable[[], T]) -> tuple[T, float]:
    """The first result of `attempt` that does not raise, and how long it took to get."""
    started = time.monotonic()
    while True:
        try:
            return attempt(), time.monotonic() - started
        except Exception:
            if time.monotonic() - started > seconds:
                raise
            time.sleep(0.1)


def _holds(condition: bool) -> bool:
    assert condition, "not yet"
    return condition


def _found(index: TypesenseSearchIndex, text: str) -> list[str]:
    found = ids(index, text)
    assert found, f"nothing found for {text!r}"
    return found


def test_search_and_writes_survive_a_killed_node_and_it_catches_up(
    cluster: TypesenseCluster,
) -> None:
    index = TypesenseSearchIndex(
        cluster.urls, api_key=cluster.api_key, timeout_s=5, connect_timeout_s=0.5
    )
    try:
        index.upsert([track("t1", "Harvest Moon", "Neil Young")])
        # Writes reach the nodes a moment after they are acknowledged.
        assert _within(FOLLOWER_LOSS_S, lambda: _found(index, "harvest"))[0] == ["t1"]

        leader = cluster.leader()
        assert leader is not None
        follower = (leader + 1) % 3
        cluster.kill(follower)
        found, took = _within(FOLLOWER_LOSS_S, lambda: _found(index, "harvest"))
        assert found == ["t1"] and took < FOLLOWER_LOSS_S
        index.upsert([track("t2", "Heart of Gold", "Neil Young")])
        assert _within(FOLLOWER_LOSS_S, lambda: _found(index, "heart"))[0] == ["t2"]

        # Back, it replays what the others wrote while it was gone, and answers on its own.
        cluster.start(follower)
        cluster.wait_healthy(follower)
        alone = TypesenseSearchIndex(cluster.urls[follower], api_key=cluster.api_key)
        try:
            assert _within(LEADER_LOSS_S, lambda: _found(alone, "heart"))[0] == ["t2"]
        finally:
            alone.close()

        cluster.kill(leader)
        found, took = _within(LEADER_LOSS_S, lambda: _found(index, "harvest"))
        assert found == ["t1"]
        _, wrote_in = _within(
            LEADER_LOSS_S, lambda: index.upsert([track("t3", "Old Man", "Neil Young")])
        )
        assert _within(FOLLOWER_LOSS_S, lambda: _found(index, "old man"))[0] == ["t3"]
        assert _within(FOLLOWER_LOSS_S, lambda: _holds(index.count() == 3))[0]
        print(f"leader killed: search again after {took:.1f} s, writes after {wrote_in:.1f} s")
        assert cluster.leader() not in (None, leader)
        index.delete(Kind.TRACK, ["t3"])
        assert _within(
            FOLLOWER_LOSS_S, lambda: _holds(sorted(_found(index, "neil")) == ["t1", "t2"])
        )[0]
    finally:
        index.close()
