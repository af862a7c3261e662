"""Faults under load, the reduced form of `bench/faults.py`: a fleet of two API nodes with a Redis
and a NATS of its own, under a short mixed load, while one node is killed (kill -9), NATS is
stopped and Redis is stopped, each for a few seconds. Requests may fail while a fault lasts; once
the last is over the fleet answers again without a restart of Encore, and no listening event or
playlist edit it acknowledged is lost."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.fleet import Fleet
from tests.integration.fleet import running_fleet
from tests.soak.faults import Fault, inject_all, windows
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

RATE = 40.0  # requests/s
QUIET_END_S = 5  # the load's last seconds, after every fault, must have no failure


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    with running_fleet(tmp_path / "fleet", api_nodes=2, private_redis=True) as started:
        yield started


def test_the_fleet_recovers_from_each_fault_and_loses_nothing(fleet: Fleet, tmp_path: Path) -> None:
    plan = seed(fleet.data_dir, fleet.url, tracks=120, listeners=8, audio_files=8)
    schedule = [
        Fault(
            "kill -9 one API node", 2, 3, lambda: fleet.kill("api-1"), lambda: fleet.start_node(1)
        ),
        Fault("stop NATS", 7, 3, lambda: fleet.stop_process("nats"), fleet.start_nats),
        Fault("stop Redis", 12, 3, lambda: fleet.stop_process("redis"), fleet.start_redis),
    ]
    seconds = 15 + QUIET_END_S + 3
    start_at = time.time() + 1.0
    injector = inject_all(schedule, start_at)
    result = run_mixed_load(
        fleet, plan, tmp_path / "load", rate=RATE, seconds=seconds, start_at=start_at
    )
    injector.join()

    rows = windows(result, schedule, seconds)
    assert [row["injection_error"] for row in rows] == ["", "", ""]
    # Every request got an answer (failures included): none hung past the load.
    assert result.completed == result.scheduled
    quiet = [
        result.timeline.get(second, {}).get("errors", 0)
        for second in range(int(seconds) - QUIET_END_S, int(seconds))
    ]
    assert quiet == [0] * len(quiet), rows
    kept = result.kept
    assert kept.events_acknowledged > 100
    assert (kept.events_lost, kept.edits_lost) == (0, 0)
