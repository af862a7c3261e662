"""What the rate limits cost on the busiest limited route: stream URLs, one listener.

Two Encore servers on the same data, taking turns under wrk: one with the limits on (a bucket
take on every request, never empty: see `bench/servers.py`), one with them off
(`ENCORE_RATE_LIMITS=false`, the middleware not installed). Both pinned to one core, wrk to the
other. Target: the limited server at least 0.95 of the other's requests/s (median of pairs), so
the limits cost under 5%.

    .venv/bin/python bench/rate_limits.py [--quick]
"""

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from _stream_setup import seed
from common import (
    Run,
    free_port,
    machine_info,
    measure,
    median,
    prepare_wrk_load,
    print_table,
    ratio,
    require_wrk,
    serve,
    write_results,
)

NAME = "rate_limits"
TARGETS = ("unlimited", "limited")
CONNECTIONS = 64
STREAM_PATH = "/api/v1/tracks/{track_id}/stream?quality=normal"
COST_TARGET = 0.95
SERVER_CPU, WRK_CPU = 0, 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 4 s instead of 5 x 10 s")
    parser.add_argument("--tracks", type=int, default=2000, help="catalog size (default 2000)")
    args = parser.parse_args(argv)
    require_wrk()
    machine = machine_info()
    rounds, duration_s = (3, 4.0) if args.quick else (5, 10.0)
    with tempfile.TemporaryDirectory(prefix="encore-bench-") as temp:
        work = Path(temp)
        print(f"Seeding {args.tracks} tracks in {work} ...", flush=True)
        seeded = seed(work / "data", tracks=args.tracks, files=1, file_bytes=1 << 20)
        paths = [STREAM_PATH.format(track_id=t) for t in seeded.track_ids]
        load = prepare_wrk_load(work, paths, seeded.token, name="api")
        servers_py = str(Path(__file__).resolve().parent / "servers.py")
        with (
            _server(work, servers_py, "limited", {}) as limited,
            _server(work, servers_py, "unlimited", {"ENCORE_RATE_LIMITS": "false"}) as unlimited,
        ):
            servers = {"limited": limited, "unlimited": unlimited}
            runs: list[Run] = []
            for round_ in range(rounds + 1):  # round 0 warms both up: caches filled
                for target in TARGETS:
                    run = measure(
                        servers[target],
                        load,
                        round_=round_,
                        connections=CONNECTIONS,
                        duration_s=duration_s if round_ else 5.0,
                        cpu=WRK_CPU,
                    )
                    label = "warm-up" if round_ == 0 else f"round {round_}/{rounds}"
                    print(
                        f"  {label:<11} {target:<9} {run.wrk.requests_per_s:>9,.0f} rps  "
                        f"p99 {run.wrk.p99_ms:6.2f} ms  CPU {run.cpu_us_per_request:5.1f} us/req",
                        flush=True,
                    )
                    runs.append(run)
    payload = summarize(runs)
    report(payload)
    write_results(NAME, payload, machine=machine)
    return 0


def _server(work: Path, servers_py: str, name: str, env: dict[str, str]) -> Any:
    port = free_port()
    command = ["taskset", "-c", str(SERVER_CPU), sys.executable, servers_py, "encore"]
    return serve(
        name,
        [*command, "--data", str(work / "data"), "--port", str(port)],
        port=port,
        ready_path="/healthz",
        log_dir=work,
        # One consumer of the event log (stream_started) is enough for two servers on one store.
        env={**env, "ENCORE_RUN_CONSUMERS": "false" if name == "unlimited" else "true"},
    )


def summarize(runs: list[Run]) -> dict[str, Any]:
    measured = [r for r in runs if r.round > 0]
    medians = {
        target: {
            "requests_per_s": median(
                [r.wrk.requests_per_s for r in measured if r.target == target]
            ),
            "p99_ms": median([r.wrk.p99_ms for r in measured if r.target == target]),
            "server_cpu_us_per_request": median(
                [r.cpu_us_per_request for r in measured if r.target == target]
            ),
        }
        for target in TARGETS
    }
    pairs = {(r.target, r.round): r for r in measured}
    rounds = sorted({r.round for r in measured})
    per_pair = [
        ratio(pairs["limited", n].wrk.requests_per_s, pairs["unlimited", n].wrk.requests_per_s)
        for n in rounds
    ]
    cpu_per_pair = [
        ratio(pairs["unlimited", n].cpu_us_per_request, pairs["limited", n].cpu_us_per_request)
        for n in rounds
    ]
    limited_over_unlimited = median(per_pair)
    return {
        "connections": CONNECTIONS,
        "medians": medians,
        "limited_over_unlimited_rps_median_of_pairs": limited_over_unlimited,
        "limited_over_unlimited_rps_per_pair": per_pair,
        "unlimited_over_limited_cpu_median_of_pairs": median(cpu_per_pair),
        "target": {"at_least": COST_TARGET, "met": limited_over_unlimited >= COST_TARGET},
        "runs": [r.as_dict() for r in runs],
    }


def report(payload: dict[str, Any]) -> None:
    rows: list[list[object]] = [
        [
            target,
            payload["medians"][target]["requests_per_s"],
            payload["medians"][target]["p99_ms"],
            payload["medians"][target]["server_cpu_us_per_request"],
        ]
        for target in TARGETS
    ]
    rows.append(
        [
            "limited/unlimited",
            f"{payload['limited_over_unlimited_rps_median_of_pairs']:.3f}",
            "",
            f"{1 / payload['unlimited_over_limited_cpu_median_of_pairs']:.3f}",
        ]
    )
    print_table(
        f"GET {STREAM_PATH} at {CONNECTIONS} connections, one listener, medians",
        ["target", "requests/s", "p99 ms", "server CPU us/req"],
        rows,
    )
    verdict = "MET" if payload["target"]["met"] else "NOT MET"
    print(f"  target limited/unlimited >= {COST_TARGET}: {verdict}")


if __name__ == "__main__":
    sys.exit(main())
