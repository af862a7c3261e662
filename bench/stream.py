"""Streaming in one run: stream-URL issuance against the framework's ceiling, and audio bytes from
the Python edge and the nginx edge against plain nginx serving the same files.

(a) `GET /api/v1/tracks/{id}/stream?quality=normal` from Encore and from a bare Starlette route
    answering the same bytes, taking turns under wrk at 64 and 256 connections. Targets: p99
    under 10 ms at 64 connections, at least 0.5 of the ceiling's requests/s.
(b) 1 MiB range requests of signed URLs to Encore's own `/audio/` edge, to nginx with the njs
    signature check (deploy/nginx), and to plain nginx (the machine's ceiling), taking turns at
    64 connections: 56 from wrk, 8 from a client that times the first byte of every body.
    Targets: nginx edge at least 0.9 of plain nginx, Python edge at least 0.3 of it, time to
    first byte p99 under 5 ms.

    .venv/bin/python bench/stream.py [--quick]
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time
import urllib.error
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _stream_setup import StreamSeed, nginx_edge, nginx_program, plain_nginx, seed
from _ttfb import TtfbResult, measure_ttfb
from common import (
    LOOPBACK,
    Run,
    Server,
    WrkLoad,
    WrkResult,
    cpu_seconds,
    free_port,
    http_get,
    machine_info,
    measure,
    median,
    prepare_wrk_load,
    print_table,
    ratio,
    require_wrk,
    run_wrk,
    serve,
    write_results,
)

NAME = "stream"
API_TARGETS = ("bare", "encore")
EDGE_TARGETS = ("nginx", "nginx_edge", "python_edge")
API_CONNECTIONS = (64, 256)
EDGE_CONNECTIONS = 64
PROBE_CONNECTIONS = 8  # of the 64: the ones whose first body byte is timed
RANGE_BYTES = 1 << 20
RANGE_HEADER = f"bytes=0-{RANGE_BYTES - 1}"
STREAM_ROUTE = "/api/v1/tracks/{track_id}/stream"
QUERY = "?quality=normal"
# Targets (the issue's).
API_P99_MS = 10.0
API_CEILING_RATIO = 0.5
NGINX_EDGE_RATIO = 0.9
PYTHON_EDGE_RATIO = 0.3
TTFB_P99_MS = 5.0
PLAYBACK_BUDGET_MS = 200.0
# Seed's figures (ARCHITECTURE.md, "Scale on paper").
FLEET_STREAMS_PER_S = 200_000
PEAK_TBPS = 16
NIC_GBPS = 100  # an edge node's network card, for the line-rate bound


@dataclass(frozen=True)
class EdgeRun:
    target: str
    round: int
    wrk: WrkResult
    probe: TtfbResult
    server_cpu_s: float
    seconds: float

    @property
    def bytes_per_s(self) -> float:
        """Audio (body) bytes per second to all 64 connections, wrk's and the probe's."""
        return self.wrk.requests * RANGE_BYTES / self.wrk.duration_s + self.probe.body_bytes_per_s

    @property
    def cpu_s_per_gb(self) -> float:
        """Server CPU seconds (all its processes) per 10^9 audio bytes sent."""
        return self.server_cpu_s / (self.bytes_per_s * self.seconds) * 1e9

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "round": self.round,
            "audio_bytes_per_s": self.bytes_per_s,
            "wrk": self.wrk.as_dict(),
            "ttfb_probe": self.probe.as_dict(),
            "server_cpu_s": self.server_cpu_s,
            "server_cpu_s_per_gb": self.cpu_s_per_gb,
        }


# --- (a) the stream API ----------------------------------------------------------------------


def api_rounds(
    servers: dict[str, Server], load: WrkLoad, *, rounds: int, warmup_s: float, duration_s: float
) -> list[Run]:
    """A warm-up (round 0: fills Encore's caches), then each round: for each connection count,
    bare then encore."""
    runs: list[Run] = []
    plan = [(0, API_CONNECTIONS[0], warmup_s)] + [
        (n, c, duration_s) for n in range(1, rounds + 1) for c in API_CONNECTIONS
    ]
    for round_, connections, seconds in plan:
        for target in API_TARGETS:
            run = measure(
                servers[target], load, round_=round_, connections=connections, duration_s=seconds
            )
            result = run.wrk
            label = "warm-up" if round_ == 0 else f"round {round_}/{rounds}"
            print(
                f"  {label:<11} {target:<6} c={connections:<4} {result.requests_per_s:>9,.0f} rps"
                f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms  server CPU "
                f"{run.cpu_us_per_request:6.1f} us/req",
                flush=True,
            )
            runs.append(run)
    return runs


def prime(encore: Server, paths: list[str], seeded: StreamSeed) -> None:
    """One request per track, so that the measured runs find every track's facts cached (they
    expire after a minute, mid-run: the runs show what that costs)."""
    started = time.monotonic()
    for path in paths:
        http_get(encore.base_url + path, _bearer(seeded))
    print(f"  primed in {time.monotonic() - started:.1f} s", flush=True)


def summarize_api(runs: list[Run]) -> dict[str, Any]:
    measured = [r for r in runs if r.round > 0]
    by_connections: dict[str, Any] = {}
    for connections in API_CONNECTIONS:
        mine = [r for r in measured if r.connections == connections]
        medians = {
            target: {
                "requests_per_s": median(
                    [r.wrk.requests_per_s for r in mine if r.target == target]
                ),
                "p50_ms": median([r.wrk.p50_ms for r in mine if r.target == target]),
                "p99_ms": median([r.wrk.p99_ms for r in mine if r.target == target]),
                "server_cpu_us_per_request": median(
                    [r.cpu_us_per_request for r in mine if r.target == target]
                ),
            }
            for target in API_TARGETS
        }
        pairs = {(r.target, r.round): r.wrk.requests_per_s for r in mine}
        per_round = [
            ratio(pairs["encore", n], pairs["bare", n]) for n in sorted({r.round for r in mine})
        ]
        by_connections[str(connections)] = {
            "medians": medians,
            "encore_over_bare_rps_of_medians": ratio(
                medians["encore"]["requests_per_s"], medians["bare"]["requests_per_s"]
            ),
            "encore_over_bare_rps_median_of_pairs": median(per_round),
            "encore_over_bare_rps_per_pair": per_round,
            # Moves less with other processes' load than requests/s does.
            "bare_over_encore_cpu_per_request": ratio(
                medians["bare"]["server_cpu_us_per_request"],
                medians["encore"]["server_cpu_us_per_request"],
            ),
        }
    at_64 = by_connections[str(API_CONNECTIONS[0])]
    return {
        "by_connections": by_connections,
        "targets": {
            "encore_p99_ms_at_64_below": API_P99_MS,
            "encore_over_bare_at_64_at_least": API_CEILING_RATIO,
            "p99_met": at_64["medians"]["encore"]["p99_ms"] < API_P99_MS,
            "ratio_met": at_64["encore_over_bare_rps_of_medians"] >= API_CEILING_RATIO,
        },
    }


# --- (b) the audio edges ---------------------------------------------------------------------


def probe_requests(port: int, signed_paths: list[str]) -> list[bytes]:
    return [
        f"GET {path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nRange: {RANGE_HEADER}\r\n\r\n".encode()
        for path in signed_paths
    ]


def edge_run(
    server: Server, load: WrkLoad, signed_paths: list[str], *, round_: int, duration_s: float
) -> EdgeRun:
    """wrk on 56 connections for `duration_s`; meanwhile, inside that window, the probe on 8."""
    settle_s = min(0.5, duration_s / 8)
    requests = probe_requests(server.port, signed_paths)
    before, started = cpu_seconds(server.process.pid), time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as pool:
        wrk = pool.submit(
            run_wrk,
            server.base_url,
            load,
            connections=EDGE_CONNECTIONS - PROBE_CONNECTIONS,
            duration_s=duration_s,
        )
        time.sleep(settle_s)
        probe = measure_ttfb(
            server.port,
            requests,
            connections=PROBE_CONNECTIONS,
            duration_s=duration_s - 2 * settle_s,
            expected_status=206,
            expected_length=RANGE_BYTES,
        )
        result = wrk.result()
    used, seconds = cpu_seconds(server.process.pid) - before, time.monotonic() - started
    # wrk counts the bytes of the answers still arriving when it stops, not their requests.
    in_flight = EDGE_CONNECTIONS - PROBE_CONNECTIONS
    if result.bytes > (result.requests + in_flight) * (RANGE_BYTES + 4096):
        raise SystemExit(f"{server.name} sent more than 1 MiB per request: Range was ignored")
    return EdgeRun(server.name, round_, result, probe, used, seconds)


def edge_rounds(
    servers: dict[str, Server],
    load: WrkLoad,
    signed_paths: list[str],
    *,
    rounds: int,
    warmup_s: float,
    duration_s: float,
) -> list[EdgeRun]:
    runs: list[EdgeRun] = []
    for round_ in range(rounds + 1):
        for target in EDGE_TARGETS:
            seconds = warmup_s if round_ == 0 else duration_s
            run = edge_run(servers[target], load, signed_paths, round_=round_, duration_s=seconds)
            label = "warm-up" if round_ == 0 else f"round {round_}/{rounds}"
            print(
                f"  {label:<11} {target:<11} {run.bytes_per_s / 1e9:6.2f} GB/s  "
                f"TTFB p50 {run.probe.p50_ms:6.2f} ms  p99 {run.probe.p99_ms:7.2f} ms "
                f"({run.probe.requests} timed)  server CPU {run.cpu_s_per_gb:5.2f} s/GB",
                flush=True,
            )
            runs.append(run)
    return runs


def summarize_edges(runs: list[EdgeRun]) -> dict[str, Any]:
    measured = [r for r in runs if r.round > 0]
    medians = {
        target: {
            "audio_bytes_per_s": median([r.bytes_per_s for r in measured if r.target == target]),
            "ttfb_p50_ms": median([r.probe.p50_ms for r in measured if r.target == target]),
            "ttfb_p99_ms": median([r.probe.p99_ms for r in measured if r.target == target]),
            "wrk_p50_ms": median([r.wrk.p50_ms for r in measured if r.target == target]),
            "wrk_p99_ms": median([r.wrk.p99_ms for r in measured if r.target == target]),
            "server_cpu_s_per_gb": median([r.cpu_s_per_gb for r in measured if r.target == target]),
        }
        for target in EDGE_TARGETS
    }
    by_round = {(r.target, r.round): r.bytes_per_s for r in measured}
    rounds = sorted({r.round for r in measured})

    def ratios(target: str) -> dict[str, Any]:
        pairs = [ratio(by_round[target, n], by_round["nginx", n]) for n in rounds]
        return {
            "of_medians": ratio(
                medians[target]["audio_bytes_per_s"], medians["nginx"]["audio_bytes_per_s"]
            ),
            "median_of_pairs": median(pairs),
            "per_pair": pairs,
            # Bytes per CPU second against nginx's: moves less with other processes' load.
            "cpu_efficiency": ratio(
                medians["nginx"]["server_cpu_s_per_gb"], medians[target]["server_cpu_s_per_gb"]
            ),
        }

    nginx_edge_ratio, python_edge_ratio = ratios("nginx_edge"), ratios("python_edge")
    return {
        "medians": medians,
        "ratios": {
            "nginx_edge_over_nginx": nginx_edge_ratio,
            "python_edge_over_nginx": python_edge_ratio,
        },
        "targets": {
            "nginx_edge_over_nginx_at_least": NGINX_EDGE_RATIO,
            "python_edge_over_nginx_at_least": PYTHON_EDGE_RATIO,
            "ttfb_p99_ms_below": TTFB_P99_MS,
            "nginx_edge_ratio_met": nginx_edge_ratio["of_medians"] >= NGINX_EDGE_RATIO,
            "python_edge_ratio_met": python_edge_ratio["of_medians"] >= PYTHON_EDGE_RATIO,
            "nginx_edge_ttfb_met": medians["nginx_edge"]["ttfb_p99_ms"] < TTFB_P99_MS,
            "python_edge_ttfb_met": medians["python_edge"]["ttfb_p99_ms"] < TTFB_P99_MS,
        },
    }


# --- what it adds up to ----------------------------------------------------------------------


def playback_budget(api: dict[str, Any], edges: dict[str, Any]) -> dict[str, Any]:
    """Stream API answer + the edge's first byte, each at 64 connections, against 200 ms."""
    encore = api["by_connections"][str(API_CONNECTIONS[0])]["medians"]["encore"]
    budget: dict[str, Any] = {"budget_ms": PLAYBACK_BUDGET_MS}
    for edge in ("nginx_edge", "python_edge"):
        figures = edges["medians"][edge]
        p50 = encore["p50_ms"] + figures["ttfb_p50_ms"]
        p99 = encore["p99_ms"] + figures["ttfb_p99_ms"]
        budget[edge] = {
            "p50_ms": p50,
            "p99_ms": p99,
            "p99_share_of_budget": p99 / PLAYBACK_BUDGET_MS,
            "left_for_network_ms_at_p99": PLAYBACK_BUDGET_MS - p99,
        }
    return budget


def on_paper(api: dict[str, Any], edges: dict[str, Any]) -> dict[str, Any]:
    """Arithmetic, not a measurement: the fleet the measured figures imply, linear scaling."""
    encore = api["by_connections"][str(API_CONNECTIONS[0])]["medians"]["encore"]
    rps = encore["requests_per_s"]
    api_cores = math.ceil(FLEET_STREAMS_PER_S / rps)
    cpu_cores = math.ceil(FLEET_STREAMS_PER_S * encore["server_cpu_us_per_request"] / 1e6)
    peak_bytes_per_s = PEAK_TBPS * 1e12 / 8
    egress: dict[str, Any] = {}
    for edge in ("nginx_edge", "python_edge"):
        cpu_s_per_gb = edges["medians"][edge]["server_cpu_s_per_gb"]
        cores = math.ceil(peak_bytes_per_s / 1e9 * cpu_s_per_gb)
        egress[edge] = {
            "server_cpu_s_per_gb": cpu_s_per_gb,
            "cores_needed": cores,
            "cores_with_50_percent_headroom": 2 * cores,
            "nodes_needed_8_cores_with_headroom": math.ceil(2 * cores / 8),
        }
    nic_nodes = math.ceil(PEAK_TBPS * 1000 / NIC_GBPS)
    return {
        "note": "arithmetic, not a measurement: loopback figures of one machine x linear scaling",
        "stream_requests": {
            "fleet_per_s": FLEET_STREAMS_PER_S,
            "per_process_requests_per_s": rps,
            "cores_needed": api_cores,
            "cores_with_50_percent_headroom": 2 * api_cores,
            "nodes_needed_8_cores_with_headroom": math.ceil(2 * api_cores / 8),
            # The same from CPU time per request, which other processes' load moves less.
            "server_cpu_us_per_request": encore["server_cpu_us_per_request"],
            "cores_needed_by_cpu_time": cpu_cores,
        },
        "egress": {
            "peak_tbps": PEAK_TBPS,
            "peak_bytes_per_s": peak_bytes_per_s,
            "bytes_per_stream_request": peak_bytes_per_s / FLEET_STREAMS_PER_S,
            "by_cpu": egress,
            f"nodes_at_{NIC_GBPS}_gbps_line_rate": nic_nodes,
            f"nodes_at_{NIC_GBPS}_gbps_with_50_percent_headroom": 2 * nic_nodes,
        },
    }


# --- output ----------------------------------------------------------------------------------


def report(api: dict[str, Any], edges: dict[str, Any], budget: dict[str, Any]) -> None:
    rows: list[list[object]] = []
    for connections in API_CONNECTIONS:
        figures = api["by_connections"][str(connections)]
        for target in API_TARGETS:
            m = figures["medians"][target]
            rows.append(
                [
                    f"{target} c={connections}",
                    m["requests_per_s"],
                    m["p50_ms"],
                    m["p99_ms"],
                    m["server_cpu_us_per_request"],
                ]
            )
        rows.append(
            [
                f"encore/bare c={connections}",
                f"{figures['encore_over_bare_rps_of_medians']:.3f}",
                "",
                "",
                f"{figures['bare_over_encore_cpu_per_request']:.3f}",
            ]
        )
    print()
    print_table(
        f"(a) GET {STREAM_ROUTE}{QUERY}, medians, {LOOPBACK}",
        ["target", "requests/s", "p50 ms", "p99 ms", "server CPU us/req"],
        rows,
    )
    rows = []
    for target in EDGE_TARGETS:
        m = edges["medians"][target]
        shares = edges["ratios"].get(f"{target}_over_nginx", {})
        rows.append(
            [
                target,
                f"{m['audio_bytes_per_s'] / 1e9:.2f}",
                f"{shares.get('of_medians', 1.0):.3f}",
                f"{shares.get('cpu_efficiency', 1.0):.3f}",
                m["ttfb_p50_ms"],
                m["ttfb_p99_ms"],
                m["server_cpu_s_per_gb"],
            ]
        )
    print_table(
        f"(b) 1 MiB ranges ({RANGE_HEADER}) at {EDGE_CONNECTIONS} connections, medians",
        [
            "target",
            "GB/s",
            "of nginx",
            "GB/CPU-s, of nginx",
            "TTFB p50 ms",
            "TTFB p99 ms",
            "CPU s/GB",
        ],
        rows,
    )
    verdicts = {**api["targets"], **edges["targets"]}
    for key, met in verdicts.items():
        if key.endswith("_met"):
            print(f"  target {key.removesuffix('_met'):<22} {'MET' if met else 'NOT MET'}")
    for edge in ("nginx_edge", "python_edge"):
        b = budget[edge]
        print(
            f"  playback start via {edge}: p50 {b['p50_ms']:.2f} ms, p99 {b['p99_ms']:.2f} ms "
            f"of the {PLAYBACK_BUDGET_MS:.0f} ms budget (API + time to first byte)"
        )


# --- the benchmark ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 4 s instead of 3 x 10 s")
    parser.add_argument("--rounds", type=int, help="alternating rounds (default 3, quick 2)")
    parser.add_argument("--duration", type=float, help="seconds per run (default 10, quick 4)")
    parser.add_argument("--tracks", type=int, default=2000, help="catalog size (default 2000)")
    parser.add_argument("--files", type=int, default=20, help="audio files (default 20)")
    parser.add_argument("--file-mb", type=int, default=10, help="MiB per audio file (default 10)")
    parser.add_argument(
        "--nginx-workers",
        default="auto",
        help="worker_processes of both nginx servers (default auto: one per core)",
    )
    args = parser.parse_args(argv)
    require_wrk()
    nginx_program()
    machine = machine_info()
    rounds = args.rounds or (2 if args.quick else 3)
    duration_s = max(3.0, args.duration or (4.0 if args.quick else 10.0))
    warmup_s = 3.0 if args.quick else 5.0

    with tempfile.TemporaryDirectory(prefix="encore-bench-") as temp:
        work = Path(temp)
        print(f"Seeding a catalog and {args.files} audio files in {work} ...", flush=True)
        seeded = seed(
            work / "data", tracks=args.tracks, files=args.files, file_bytes=args.file_mb << 20
        )
        print(f"  {seeded.source}", flush=True)
        api_paths = [STREAM_ROUTE.format(track_id=t) + QUERY for t in seeded.track_ids]
        api_load = prepare_wrk_load(work, api_paths, seeded.token, name="api")
        audio_load = prepare_wrk_load(
            work, seeded.signed_paths, None, name="audio", range_header=RANGE_HEADER
        )
        with run_servers(work, seeded, nginx_workers=args.nginx_workers) as servers:
            check_servers(servers, seeded)
            print(f"(a) stream URLs (first one request per track, {len(api_paths)})", flush=True)
            prime(servers["encore"], api_paths, seeded)
            api_runs = api_rounds(
                servers, api_load, rounds=rounds, warmup_s=warmup_s, duration_s=duration_s
            )
            print("(b) audio edges", flush=True)
            edge_runs = edge_rounds(
                servers,
                audio_load,
                seeded.signed_paths,
                rounds=rounds,
                warmup_s=warmup_s,
                duration_s=duration_s,
            )

    api = summarize_api(api_runs)
    edges = summarize_edges(edge_runs)
    budget = playback_budget(api, edges)
    paper = on_paper(api, edges)
    report(api, edges, budget)
    path = write_results(
        NAME,
        {
            "what": (
                "(a) stream-URL issuance: Encore vs a bare Starlette route, same uvicorn; "
                "(b) 1 MiB ranges of signed URLs: Python edge, nginx edge, plain nginx"
            ),
            "parameters": {
                "api_connections": list(API_CONNECTIONS),
                "edge_connections": EDGE_CONNECTIONS,
                "edge_ttfb_probe_connections": PROBE_CONNECTIONS,
                "wrk_threads": 1,
                "rounds": rounds,
                "duration_s": duration_s,
                "warmup_s": warmup_s,
                "tracks": len(seeded.track_ids),
                "catalog_source": seeded.source,
                "audio_files": len(seeded.audio_keys),
                "audio_file_bytes": args.file_mb << 20,
                "range": RANGE_HEADER,
                "pinned": None,
                "uvicorn": "loop=uvloop http=httptools access_log=False, one process",
                "nginx": f"worker_processes {args.nginx_workers}",
                "ttfb": "time from writing a request to its first body byte, 8 of 64 "
                "connections, while wrk drives the other 56",
            },
            "api": api,
            "edges": edges,
            "playback_budget": budget,
            "api_runs": [r.as_dict() for r in api_runs],
            "edge_runs": [r.as_dict() for r in edge_runs],
            "on_paper": paper,
            # The machine is shared: its load at the start is in `machine`, this is at the end.
            "load_average_at_end": list(os.getloadavg()),
        },
        machine=machine,
    )
    streams, egress = paper["stream_requests"], paper["egress"]
    print(
        f"On paper (arithmetic, not a measurement): {FLEET_STREAMS_PER_S:,} stream requests/s at "
        f"{streams['per_process_requests_per_s']:,.0f} per process = {streams['cores_needed']:,} "
        f"cores; {PEAK_TBPS} Tbps through the nginx edge at "
        f"{egress['by_cpu']['nginx_edge']['server_cpu_s_per_gb']:.2f} CPU s/GB = "
        f"{egress['by_cpu']['nginx_edge']['cores_needed']:,} cores, and "
        f"{egress[f'nodes_at_{NIC_GBPS}_gbps_line_rate']} nodes at {NIC_GBPS} Gbit/s line rate."
    )
    print(f"Wrote {path}")
    return 0


@contextmanager
def run_servers(
    work: Path, seeded: StreamSeed, *, nginx_workers: str
) -> Iterator[dict[str, Server]]:
    """Encore (the API and the Python edge), the bare ceiling, nginx with the edge check, and
    plain nginx, all running for the whole benchmark (idle while the others take their turn)."""
    python, servers_py = sys.executable, str(Path(__file__).resolve().parent / "servers.py")
    first = STREAM_ROUTE.format(track_id=seeded.track_ids[0]) + QUERY
    with ExitStack() as stack:
        port = free_port()
        encore_command = [python, servers_py, "encore", "--data", str(work / "data")]
        encore = stack.enter_context(
            serve(
                "encore",
                [*encore_command, "--port", str(port)],
                port=port,
                ready_path="/healthz",
                log_dir=work,
            )
        )
        body_file = work / "stream.json"
        body_file.write_bytes(http_get(encore.base_url + first, _bearer(seeded)))
        port = free_port()
        bare_command = [python, servers_py, "bare", "--body-file", str(body_file)]
        bare = stack.enter_context(
            serve(
                "bare",
                [*bare_command, "--route", STREAM_ROUTE, "--port", str(port)],
                port=port,
                ready_path=first,
                log_dir=work,
            )
        )
        edge = stack.enter_context(
            nginx_edge(
                work / "nginx-edge", seeded.media_root, seeded.signing_keys, workers=nginx_workers
            )
        )
        plain = stack.enter_context(
            plain_nginx(work / "nginx", seeded.media_root, workers=nginx_workers)
        )
        yield {
            "bare": bare,
            "encore": encore,
            "nginx": plain,
            "nginx_edge": edge,
            "python_edge": Server("python_edge", encore.port, encore.process, encore.log_path),
        }


def _bearer(seeded: StreamSeed) -> dict[str, str]:
    return {"Authorization": f"Bearer {seeded.token}"}


def check_servers(servers: dict[str, Server], seeded: StreamSeed) -> None:
    """Before measuring: each target answers what the benchmark assumes it does."""
    first = STREAM_ROUTE.format(track_id=seeded.track_ids[0]) + QUERY
    answer = json.loads(http_get(servers["encore"].base_url + first, _bearer(seeded)))
    url = urlsplit(answer["stream_url"])
    if url.path != f"/{seeded.audio_keys[0]}":
        raise SystemExit(f"the stream API pointed at {url.path}, not at the benchmark's file")
    if json.loads(http_get(servers["bare"].base_url + first)).keys() != answer.keys():
        raise SystemExit("the bare server does not answer a stream document")
    expected = (seeded.media_root / seeded.audio_keys[0]).read_bytes()[:RANGE_BYTES]
    ranged = {"Range": RANGE_HEADER}
    # The URL the API just handed out plays from Encore's edge...
    api_url = f"{servers['python_edge'].base_url}{url.path}?{url.query}"
    if http_get(api_url, ranged) != expected:
        raise SystemExit("the stream API's URL does not play its 1 MiB from the Python edge")
    for target in EDGE_TARGETS:
        # ...and the pre-signed ones from every edge, as the right 1 MiB.
        if http_get(servers[target].base_url + seeded.signed_paths[0], ranged) != expected:
            raise SystemExit(f"{target} does not answer {RANGE_HEADER} with the file's bytes")
    forged = seeded.signed_paths[0][:-4] + "0000"
    for target in ("nginx_edge", "python_edge"):
        try:
            http_get(servers[target].base_url + forged, ranged)
        except urllib.error.HTTPError as refused:
            if refused.code == 403:
                continue
        raise SystemExit(f"{target} did not refuse a forged signature with 403")


if __name__ == "__main__":
    sys.exit(main())
