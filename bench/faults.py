"""Faults under load: the fleet of bench/soak.py (3 API nodes, S3 on Swift, PostgreSQL as a
cluster of the fleet's own so that restarting it disturbs nobody) under the same open-loop mixed
load, while one fault after another is injected and removed:

    kill -9 one API node (restarted 10 s later)      restart PostgreSQL (pg_ctl -m fast)
    stop NATS for 30 s (the fleet's own server)     make S3 unreachable for 20 s (SIGSTOP)
    stop Redis for 20 s (the fleet's own server, restarted empty)

For each: the requests that failed in its window, by route, and the recovery time (from the
fault's start to the end of the last second with a failure in its window). Afterwards, every
listening event and playlist edit the fleet acknowledged must be in the database (lost: 0).

    .venv/bin/python bench/faults.py            # ~3 minutes of load
    .venv/bin/python bench/faults.py --quick    # shorter windows
"""

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.soak.bad_inputs import BadInputResult, throw
from tests.soak.faults import Fault, inject_all, windows
from tests.soak.run import SoakResult, run_mixed_load
from tests.soak.workload import seed

from common import machine_info, print_table, write_results
from deploy.fleet import Fleet, FleetSpec, running
from soak import swift_media


def faults(fleet: Fleet, swift_proxy_pid: int, scale: float) -> list[Fault]:
    def kill_node() -> None:
        fleet.kill("api-1")

    def restart_node() -> None:
        fleet.start_node(1)

    def restart_postgres() -> None:
        assert fleet.postgres is not None
        fleet.postgres.restart()

    def stop_nats() -> None:
        fleet.stop_process("nats")

    def freeze_s3() -> None:
        os.kill(swift_proxy_pid, signal.SIGSTOP)

    def thaw_s3() -> None:
        os.kill(swift_proxy_pid, signal.SIGCONT)

    def stop_redis() -> None:
        fleet.stop_process("redis")

    def nothing() -> None:
        return None

    gap = 25 * scale
    return [
        Fault("kill -9 one API node", 15 * scale, 10 * scale, kill_node, restart_node),
        Fault("restart PostgreSQL", 15 * scale + gap, 0, restart_postgres, nothing),
        Fault("stop NATS for 30 s", 15 * scale + 2 * gap, 30 * scale, stop_nats, fleet.start_nats),
        Fault("S3 unreachable", 15 * scale + 3 * gap + 30 * scale, 20 * scale, freeze_s3, thaw_s3),
        Fault(
            "stop Redis for 20 s",
            15 * scale + 4 * gap + 50 * scale,
            20 * scale,
            stop_redis,
            fleet.start_redis,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="windows a third as long")
    parser.add_argument("--rate", type=float, default=100.0, help="requests/s (default 100)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs)")
    arguments = parser.parse_args()
    scale = 1 / 3 if arguments.quick else 1.0
    machine = machine_info()
    workspace: contextlib.AbstractContextManager[str] = (
        contextlib.nullcontext(tempfile.mkdtemp(prefix="encore-faults-"))
        if arguments.keep
        else tempfile.TemporaryDirectory(prefix="encore-faults-")
    )
    with workspace as temporary:
        print(f"working in {temporary}", flush=True)
        work = Path(temporary)
        with swift_media(work) as (s3, proxy_pid):
            spec = FleetSpec(api_nodes=3, s3=s3, private_postgres=True, private_redis=True)
            with running(work / "fleet", spec) as fleet:
                plan = seed(fleet.data_dir, fleet.url, tracks=1000, listeners=32, audio_files=32)
                schedule = faults(fleet, proxy_pid, scale)
                last = schedule[-1]
                seconds = last.at_s + last.lasts_s + 25 * scale
                start_at = time.time() + 3.0
                injector = inject_all(schedule, start_at)
                result = run_mixed_load(
                    fleet,
                    plan,
                    work / "load",
                    rate=arguments.rate,
                    seconds=seconds,
                    generators=2,
                    start_at=start_at,
                )
                injector.join()
                # Then bad input through the same front, ten of each kind, after the faults.
                bad = throw(plan, count=190)
    report(result, windows(result, schedule, seconds), bad, arguments, seconds, machine)


def report(
    result: SoakResult,
    rows: list[dict[str, Any]],
    bad: BadInputResult,
    arguments: argparse.Namespace,
    seconds: float,
    machine: dict[str, Any],
) -> None:
    print_table(
        f"Faults under {arguments.rate:.0f} req/s of mixed load ({seconds:.0f} s, 3 API nodes)",
        ["fault", "at s", "removed s", "failed requests", "by route", "recovered in s"],
        [
            [
                row["fault"],
                row["started_s"],
                row["removed_s"],
                row["failed_requests"],
                ", ".join(f"{k} {v}" for k, v in sorted(row["failed_by_route"].items())) or "-",
                row["recovery_s"],
            ]
            for row in rows
        ],
    )
    kept = result.kept
    print_table(
        "Held and kept",
        ["figure", "value"],
        [
            ["requests scheduled / completed", f"{result.scheduled} / {result.completed}"],
            ["failed requests, all faults", result.errors],
            ["events acknowledged / lost", f"{kept.events_acknowledged} / {kept.events_lost}"],
            ["edits acknowledged / lost", f"{kept.edits_acknowledged} / {kept.edits_lost}"],
            ["bad inputs tried / not refused", f"{bad.tried} / {len(bad.wrong)}"],
        ],
    )
    path = write_results(
        "faults",
        {
            "parameters": {"rate": arguments.rate, "seconds": seconds, "quick": arguments.quick},
            "faults": rows,
            "bad_inputs": bad.as_dict(),
            "result": result.as_dict(),
        },
        machine=machine,
    )
    print(f"results: {path}")
    if bad.wrong:
        print("bad inputs not refused:", *bad.wrong, sep="\n  ")
    if kept.events_lost or kept.edits_lost or bad.wrong:
        sys.exit(1)


if __name__ == "__main__":
    main()
