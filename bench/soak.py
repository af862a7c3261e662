"""Soak: the scale topology on this machine (deploy/fleet.py: N API nodes behind nginx as
balancer and audio edge, PostgreSQL, NATS JetStream, Typesense, S3 on OpenStack Swift, the
consumers apart) under 5 minutes of mixed load at a fixed rate from separate processes
(tests/soak/generator.py: open loop, latency from each request's scheduled time).

Reports per route p50/p99, the error rate, requests held against scheduled, the resident memory
of every fleet process over time (first against last minute, and its slope), and the listening
events and playlist edits acknowledged but not stored (must be 0).

    .venv/bin/python bench/soak.py            # 5 minutes, S3 on Swift
    .venv/bin/python bench/soak.py --quick    # ~20 s
"""

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.soak.run import SoakResult, run_mixed_load
from tests.soak.workload import seed

from common import machine_info, print_table, write_results
from deploy.fleet import FleetSpec, S3Config, running


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="~20 s instead of 5 minutes")
    parser.add_argument("--seconds", type=float, help="load duration (default 300, quick 20)")
    parser.add_argument("--rate", type=float, default=150.0, help="requests/s (default 150)")
    parser.add_argument("--nodes", type=int, default=3, help="API nodes (default 3)")
    parser.add_argument("--generators", type=int, default=2, help="load processes (default 2)")
    parser.add_argument(
        "--media", choices=("s3", "local"), default="s3", help="media store (default s3: Swift)"
    )
    arguments = parser.parse_args()
    seconds = arguments.seconds or (20.0 if arguments.quick else 300.0)
    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="encore-soak-") as temporary:
        work = Path(temporary)
        if arguments.media == "s3":
            result = _with_swift(work, arguments, seconds)
        else:
            result = _soak(work, arguments, seconds, s3=None)
    report(result, arguments, seconds, machine)


def _with_swift(work: Path, arguments: argparse.Namespace, seconds: float) -> SoakResult:
    with swift_media(work) as (s3, _):
        return _soak(work, arguments, seconds, s3=s3)


@contextmanager
def swift_media(work: Path) -> Iterator[tuple[S3Config, int]]:
    """OpenStack Swift's S3 API under `work/swift` for the fleet's media: its settings, and the
    pid of its proxy (the process that answers S3, which bench/faults freezes)."""
    from tests.integration.swift import SwiftCluster, ensure_installed

    ensure_installed()
    (work / "swift").mkdir()
    swift = SwiftCluster(work / "swift")
    endpoint = swift.start()
    try:
        s3 = S3Config(
            endpoint_url=endpoint.url,
            access_key=endpoint.access_key,
            secret_key=endpoint.secret_key,
            region=endpoint.region,
        )
        yield s3, swift._processes["proxy"].pid
    finally:
        swift.stop()


def _soak(
    work: Path, arguments: argparse.Namespace, seconds: float, s3: S3Config | None
) -> SoakResult:
    spec = FleetSpec(api_nodes=arguments.nodes, s3=s3, nginx_workers=1)
    started = time.monotonic()
    with running(work / "fleet", spec) as fleet:
        print(f"fleet up in {time.monotonic() - started:.1f} s: {fleet.url}", flush=True)
        plan = seed(fleet.data_dir, fleet.url, tracks=2000, listeners=64, audio_files=64)
        print(f"seeded; {arguments.rate:.0f} req/s for {seconds:.0f} s", flush=True)
        return run_mixed_load(
            fleet,
            plan,
            work / "load",
            rate=arguments.rate,
            seconds=seconds,
            generators=arguments.generators,
            sample_s=5.0 if seconds >= 120 else 1.0,
        )


def report(
    result: SoakResult, arguments: argparse.Namespace, seconds: float, machine: dict[str, object]
) -> None:
    print_table(
        f"Mixed load, {result.rate:.0f} req/s for {seconds:.0f} s, {arguments.nodes} API nodes",
        ["route", "requests", "errors", "p50 ms", "p99 ms", "max ms"],
        [
            [route, f.requests, f.errors, f.p50_ms, f.p99_ms, f.max_ms]
            for route, f in result.routes.items()
        ],
    )
    print_table(
        "Resident memory (MiB)",
        ["process", "first", "last", "first minute", "last minute", "slope MiB/min"],
        [
            [
                name,
                m.first_mib,
                m.last_mib,
                m.first_minute_mib,
                m.last_minute_mib,
                m.slope_mib_per_min,
            ]
            for name, m in result.memory.items()
        ],
    )
    kept = result.kept
    print_table(
        "Held and kept",
        ["figure", "value"],
        [
            ["requests scheduled", result.scheduled],
            ["dispatched on time (≤ 10 ms late)", result.held],
            ["dispatch lag p99 ms", result.dispatch_lag_p99_ms],
            ["completed", result.completed],
            ["errors", result.errors],
            ["error rate", f"{result.error_rate:.4%}"],
            [
                "events acknowledged / stored / lost",
                _three(kept.events_acknowledged, kept.events_stored, kept.events_lost),
            ],
            [
                "playlist edits acknowledged / stored / lost",
                _three(kept.edits_acknowledged, kept.edits_stored, kept.edits_lost),
            ],
            ["consumers drained in s", kept.drain_s],
        ],
    )
    path = write_results(
        "soak",
        {
            "parameters": {
                "rate": arguments.rate,
                "seconds": seconds,
                "api_nodes": arguments.nodes,
                "generators": arguments.generators,
                "media": arguments.media,
                "quick": arguments.quick,
            },
            "result": result.as_dict(),
            "memory_flat": {name: asdict(m) for name, m in result.memory.items()},
        },
        machine=machine,
    )
    print(f"results: {path}")
    if result.errors or kept.events_lost or kept.edits_lost:
        sys.exit(1)


def _three(a: int, b: int, c: int) -> str:
    return f"{a} / {b} / {c}"


if __name__ == "__main__":
    main()
