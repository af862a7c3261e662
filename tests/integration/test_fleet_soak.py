"""The scale topology on this machine under a short mixed load (the reduced form of
`bench/soak.py`): two API nodes behind nginx, PostgreSQL, NATS JetStream, Typesense, the
consumers in a process of their own, Redis for the shared caches and limits. Nothing may fail,
every listening event and playlist edit the fleet acknowledged must be in the database once the
consumers have drained, and bad input thrown at the fleet afterwards gets only 4xx answers."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.fleet import Fleet
from tests.integration.fleet import running_fleet
from tests.soak.bad_inputs import throw
from tests.soak.generator import MIX
from tests.soak.run import run_mixed_load
from tests.soak.workload import seed

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.nats,
    pytest.mark.nginx,
    pytest.mark.typesense,
    pytest.mark.redis,
    pytest.mark.slow,
]

RATE = 60.0  # requests/s: well inside what two nodes on a shared 2-core machine hold
SECONDS = 12.0


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    with running_fleet(tmp_path / "fleet", api_nodes=2) as started:
        yield started


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


def test_the_fleet_loses_nothing_under_mixed_load(fleet: Fleet, tmp_path: Path) -> None:
    plan = seed(fleet.data_dir, fleet.url, tracks=120, listeners=8, audio_files=8)
    nodes = [fleet.processes[f"api-{index}"].pid for index in range(2)]
    before = [_cpu_s(pid) for pid in nodes]

    result = run_mixed_load(fleet, plan, tmp_path / "load", rate=RATE, seconds=SECONDS)

    assert result.errors == 0, result.error_kinds
    assert result.scheduled == result.completed == int(RATE * SECONDS)
    assert set(result.routes) == set(MIX)
    kept = result.kept
    assert kept.events_acknowledged > 200
    assert (kept.events_lost, kept.events_stored) == (0, kept.events_acknowledged)
    assert kept.edits_acknowledged > 20
    assert (kept.edits_lost, kept.edits_stored) == (0, kept.edits_acknowledged)
    # nginx spread the load: each node did real work, not just its health checks.
    assert all(_cpu_s(pid) - spent > 0.5 for pid, spent in zip(nodes, before, strict=True))

    # Bad input through the same front: refused with a 4xx, every case, on either node.
    bad = throw(plan, count=3 * 19)
    assert bad.wrong == []
    assert len(bad.by_case) == 19
