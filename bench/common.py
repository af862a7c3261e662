"""Shared helpers for benchmark scripts: machine facts, medians, tables, results, servers, wrk.

Each benchmark is `bench/<name>.py`; it prints a table and writes `bench/results/<name>.json`
through `write_results`. See bench/README.md for the convention.
"""

import datetime as dt
import json
import os
import platform
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
DATA_DIR = REPO_ROOT.parent / "shared" / "data"
LOOPBACK = "127.0.0.1"

WRK_MISSING = (
    "wrk (the HTTP load generator) is not installed. Install it with\n"
    "    apt-get update && apt-get install -y wrk\n"
    "or run `make bench`, which installs it when missing."
)


class BenchError(RuntimeError):
    """A benchmark could not run as set up (missing tool, server that never came up...)."""


# --- figures ---------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


# --- the machine and the run -----------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """What a figure depends on: cores, CPU model, Python, library versions, load, date."""
    packages = {}
    for name in ("uvicorn", "starlette", "fastapi", "pydantic", "uvloop", "httptools"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "hostname": platform.node(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "packages": packages,
        "wrk": wrk_version(),
        "load_average": list(os.getloadavg()),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def reproduce_command() -> str:
    """The command line that ran this benchmark, from the repository root."""
    script = Path(sys.argv[0]).resolve()
    try:
        script_text = str(script.relative_to(REPO_ROOT))
    except ValueError:
        script_text = str(script)
    return shlex.join([".venv/bin/python", script_text, *sys.argv[1:]])


def write_results(
    name: str, payload: dict[str, Any], *, machine: dict[str, Any] | None = None
) -> Path:
    """Write `bench/results/<name>.json` with the payload, the machine and the command.

    Pass `machine` as taken with `machine_info()` when the run started, so that its date and
    load average describe the run rather than its end.
    """
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": name,
        "command": reproduce_command(),
        "machine": machine or machine_info(),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **payload,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    return path


# --- tables ----------------------------------------------------------------------------------


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A table on stdout: rich when it is installed, aligned plain text otherwise."""
    cells = [[_cell(value) for value in row] for row in rows]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
        print(title)
        print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
        print("  ".join("-" * w for w in widths))
        for row in cells:
            print("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
        return
    table = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    for row in cells:
        table.add_row(*row)
    Console(width=max(100, shutil.get_terminal_size().columns)).print(table)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.2f}"
    return str(value)


# --- servers ---------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live children (nginx's workers), all their
    threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        child_pids = [int(child) for child in children.read_text().split()]
    except OSError:
        child_pids = []  # a kernel without the file: the process alone
    own = ticks / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds_or_zero(child) for child in child_pids)


def _cpu_seconds_or_zero(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except (OSError, ValueError, IndexError):
        return 0.0  # it exited in between


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def pinned(command: Sequence[str], cpu: int | None) -> list[str]:
    """`command` pinned to one CPU with taskset, when asked and available."""
    if cpu is None or shutil.which("taskset") is None:
        return list(command)
    return ["taskset", "--cpu-list", str(cpu), *command]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


@contextmanager
def serve(
    name: str,
    command: Sequence[str],
    *,
    port: int,
    ready_path: str,
    log_dir: Path,
    env: dict[str, str] | None = None,
    timeout_s: float = 60.0,
) -> Iterator[Server]:
    """Run a server subprocess, wait until it answers HTTP on `ready_path`, stop it afterwards."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=REPO_ROOT,
        )
    server = Server(name=name, port=port, process=process, log_path=log_path)
    try:
        _wait_until_answering(server, ready_path, timeout_s)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answering(server: Server, path: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(
                f"{server.name} server exited with {server.process.returncode}:\n"
                + server.log_path.read_text(errors="replace")[-4000:]
            )
        try:
            http_get(server.base_url + path, timeout_s=2)
            return
        except urllib.error.HTTPError:
            return  # it answered, even if not with 200
        except OSError:
            time.sleep(0.1)
    raise BenchError(f"{server.name} server did not answer on {path} within {timeout_s:.0f} s")


def http_get(url: str, headers: dict[str, str] | None = None, *, timeout_s: float = 10) -> bytes:
    if not url.startswith(f"http://{LOOPBACK}:"):
        raise BenchError(f"benchmarks talk to {LOOPBACK} only, not {url}")
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (checked above)
    with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
        body: bytes = response.read()
        return body


# --- load generation with wrk ----------------------------------------------------------------

# Requests are built once in init() and rotated in request(), so wrk spends no time formatting.
# done() prints one JSON line (latencies in microseconds), so nothing parses wrk's text report.
WRK_SCRIPT = """\
local paths = {}
local headers = {}
local built = {}
local counter = 0

for line in io.lines(os.getenv("WRK_PATHS_FILE")) do
  if line ~= "" then paths[#paths + 1] = line end
end
local token = os.getenv("WRK_BEARER")
if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
local range = os.getenv("WRK_RANGE")
if range and range ~= "" then headers["Range"] = range end

function init(args)
  for i, path in ipairs(paths) do built[i] = wrk.format("GET", path, headers) end
end

function request()
  counter = counter + 1
  if counter > #built then counter = 1 end
  return built[counter]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    requests_per_s: float
    bytes: int  # received, headers included
    bytes_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    mean_ms: float
    max_ms: float
    errors: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def wrk_version() -> str | None:
    if shutil.which("wrk") is None:
        return None
    completed = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first = (completed.stdout or completed.stderr).splitlines()
    return first[0].strip() if first else None


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit(WRK_MISSING)


@dataclass(frozen=True)
class WrkLoad:
    """What wrk sends: rotating paths (one per line in a file) with an optional bearer token
    and an optional `Range` header (the same on every request)."""

    script: Path
    paths_file: Path
    bearer: str | None = None
    range_header: str | None = None


def prepare_wrk_load(
    work_dir: Path,
    paths: Sequence[str],
    bearer: str | None,
    *,
    name: str = "paths",
    range_header: str | None = None,
) -> WrkLoad:
    """Write the script and the paths under `work_dir`; `name` keeps several loads apart."""
    script = work_dir / "rotate.lua"
    script.write_text(WRK_SCRIPT)
    paths_file = work_dir / f"{name}.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    return WrkLoad(script=script, paths_file=paths_file, bearer=bearer, range_header=range_header)


def run_wrk(
    base_url: str,
    load: WrkLoad,
    *,
    connections: int,
    duration_s: float,
    threads: int = 1,
    cpu: int | None = None,
) -> WrkResult:
    """One wrk run against `base_url` (loopback only); raises if any request failed."""
    require_wrk()
    if not base_url.startswith(f"http://{LOOPBACK}:"):
        raise BenchError(f"loads target {LOOPBACK} only, not {base_url}")
    command = pinned(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration_s:g}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(load.script),
            base_url,
        ],
        cpu,
    )
    env = {
        **os.environ,
        "WRK_PATHS_FILE": str(load.paths_file),
        "WRK_BEARER": load.bearer or "",
        "WRK_RANGE": load.range_header or "",
    }
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0:
        raise BenchError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    line = next(
        (row for row in completed.stdout.splitlines() if row.startswith("WRK_JSON ")),
        None,
    )
    if line is None:
        raise BenchError(f"wrk printed no WRK_JSON line:\n{completed.stdout}\n{completed.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    errors: dict[str, int] = raw["errors"]
    if any(errors.values()):
        raise BenchError(f"wrk saw failed requests against {base_url}: {errors}")
    latency = raw["latency_us"]
    duration_s_measured = raw["duration_us"] / 1e6
    return WrkResult(
        requests=raw["requests"],
        duration_s=duration_s_measured,
        requests_per_s=raw["requests"] / duration_s_measured,
        bytes=raw["bytes"],
        bytes_per_s=raw["bytes"] / duration_s_measured,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        p999_ms=latency["p999"] / 1000,
        mean_ms=latency["mean"] / 1000,
        max_ms=latency["max"] / 1000,
        errors=errors,
    )


@dataclass(frozen=True)
class Run:
    """One wrk run against one server, with the CPU time the server spent meanwhile."""

    target: str
    round: int
    connections: int
    wrk: WrkResult
    server_cpu_s: float

    @property
    def cpu_us_per_request(self) -> float:
        return self.server_cpu_s / self.wrk.requests * 1e6

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "round": self.round,
            "connections": self.connections,
            **self.wrk.as_dict(),
            "server_cpu_s": self.server_cpu_s,
            "server_cpu_us_per_request": self.cpu_us_per_request,
        }


def measure(
    server: Server,
    load: WrkLoad,
    *,
    round_: int,
    connections: int,
    duration_s: float,
    cpu: int | None = None,
) -> Run:
    """`run_wrk` against `server`, with its CPU time (children included) over the run."""
    before = cpu_seconds(server.process.pid)
    result = run_wrk(server.base_url, load, connections=connections, duration_s=duration_s, cpu=cpu)
    used = cpu_seconds(server.process.pid) - before
    return Run(server.name, round_, connections, result, used)
