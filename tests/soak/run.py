"""One mixed-load run against a running fleet: the generator processes at a fixed rate, the
fleet's memory sampled meanwhile, then what was kept counted once the consumers drained.
Used by the CI test (tests/integration/test_fleet_soak.py) and by bench/soak.py."""

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from deploy.fleet import Fleet
from tests.soak.workload import Kept, Plan, count_kept

REPO = Path(__file__).resolve().parents[2]
PAGE_KIB = 1  # /proc/PID/status gives VmRSS in kB


@dataclass(frozen=True)
class RouteFigures:
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True)
class MemoryFigures:
    """A process's RSS (its children's included: nginx's workers) over the run."""

    first_mib: float
    last_mib: float
    first_minute_mib: float  # mean over the first minute (or fifth, for a short run)
    last_minute_mib: float
    slope_mib_per_min: float  # least squares over every sample


@dataclass(frozen=True)
class SoakResult:
    rate: float
    seconds: float
    scheduled: int
    held: int  # dispatched within 10 ms of their scheduled time
    completed: int
    errors: int
    error_kinds: dict[str, dict[str, int]]
    dispatch_lag_p99_ms: float
    routes: dict[str, RouteFigures]
    memory: dict[str, MemoryFigures]
    kept: Kept
    # Per second of the schedule: scheduled, done, errors, errors:ROUTE.
    timeline: dict[int, dict[str, int]] = field(default_factory=dict)

    @property
    def error_rate(self) -> float:
        return self.errors / self.completed if self.completed else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "error_rate": self.error_rate}


def run_mixed_load(
    fleet: Fleet,
    plan: Plan,
    workdir: Path,
    *,
    rate: float,
    seconds: float,
    generators: int = 1,
    sample_s: float = 2.0,
    start_at: float | None = None,
) -> SoakResult:
    """Run the load; `start_at` (UNIX time) fixes its first scheduled request, which a fault
    schedule running meanwhile can time itself from."""
    workdir.mkdir(parents=True, exist_ok=True)
    plan_path = workdir / "plan.json"
    plan.write(plan_path)
    sampler = RssSampler({name: p.pid for name, p in fleet.processes.items()}, sample_s)
    sampler.start()
    outputs = [workdir / f"generator-{index}.json" for index in range(generators)]
    logs = [(workdir / f"generator-{index}.log").open("wb") for index in range(generators)]
    try:
        running = [
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "tests.soak.generator", str(plan_path), str(out)),
                    *("--rate", str(rate), "--seconds", str(seconds)),
                    *("--share", f"{index}/{generators}"),
                    *(("--start-at", str(start_at)) if start_at is not None else ()),
                ],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for index, (out, log) in enumerate(zip(outputs, logs, strict=True))
        ]
        deadline = time.monotonic() + seconds + 120
        for index, process in enumerate(running):
            try:
                status = process.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                status = None
            if status != 0:
                for other in running:
                    other.kill()
                log_text = (workdir / f"generator-{index}.log").read_text(errors="replace")
                raise RuntimeError(f"generator {index} ended with {status}: {log_text[-3000:]}")
    finally:
        for log in logs:
            log.close()
        sampler.stop()
    parts = [json.loads(out.read_text()) for out in outputs]
    acknowledged: dict[str, Any] = {"events": {}, "edits": {}}
    for part in parts:
        for user, ids in part["acknowledged"]["events"].items():
            acknowledged["events"].setdefault(user, []).extend(ids)
        for index, count in part["acknowledged"]["edits"].items():
            acknowledged["edits"][index] = acknowledged["edits"].get(index, 0) + count
    kept = count_kept(fleet.database_url, plan, acknowledged)
    result = _summarize(parts, rate=rate, seconds=seconds, memory=sampler.figures(), kept=kept)
    timeline: dict[int, Counter[str]] = {}
    for part in parts:
        for second, counts in part["timeline"].items():
            timeline.setdefault(int(second), Counter()).update(counts)
    result.timeline.update({second: dict(timeline[second]) for second in sorted(timeline)})
    return result


def _summarize(
    parts: list[dict[str, Any]],
    *,
    rate: float,
    seconds: float,
    memory: dict[str, MemoryFigures],
    kept: Kept,
) -> SoakResult:
    latencies: dict[str, list[float]] = {}
    errors: dict[str, Counter[str]] = {}
    lags: list[float] = []
    for part in parts:
        for route, values in part["latencies_ms"].items():
            latencies.setdefault(route, []).extend(values)
        for route, kinds in part["errors"].items():
            errors.setdefault(route, Counter()).update(kinds)
        lags.extend(part["dispatch_lag_ms"])
    routes = {
        route: RouteFigures(
            requests=len(values),
            errors=sum(errors.get(route, Counter()).values()),
            p50_ms=percentile(values, 50),
            p99_ms=percentile(values, 99),
            max_ms=max(values),
        )
        for route, values in sorted(latencies.items())
    }
    return SoakResult(
        rate=rate,
        seconds=seconds,
        scheduled=sum(part["scheduled"] for part in parts),
        held=sum(part["held"] for part in parts),
        completed=sum(figures.requests for figures in routes.values()),
        errors=sum(figures.errors for figures in routes.values()),
        error_kinds={route: dict(kinds) for route, kinds in errors.items()},
        dispatch_lag_p99_ms=percentile(lags, 99),
        routes=routes,
        memory=memory,
        kept=kept,
    )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return round(ordered[rank], 2)


class RssSampler:
    """Samples each process's resident memory (with its children's) every `every_s`."""

    def __init__(self, pids: dict[str, int], every_s: float) -> None:
        self.pids = pids
        self.every_s = every_s
        self.samples: dict[str, list[tuple[float, float]]] = {name: [] for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._started = 0.0

    def start(self) -> None:
        self._started = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            now = time.monotonic() - self._started
            children = _children()
            for name, pid in self.pids.items():
                family = [pid, *children.get(pid, [])]
                kib = sum(_rss_kib(member) for member in family)
                if kib:
                    self.samples[name].append((now, kib / 1024))
            if self._stop.wait(self.every_s):
                return

    def figures(self) -> dict[str, MemoryFigures]:
        return {
            name: _memory(samples) for name, samples in self.samples.items() if len(samples) >= 2
        }


def _memory(samples: list[tuple[float, float]]) -> MemoryFigures:
    span = samples[-1][0] - samples[0][0]
    window = min(60.0, span / 5)
    first = [mib for t, mib in samples if t - samples[0][0] <= window]
    last = [mib for t, mib in samples if samples[-1][0] - t <= window]
    mean_t = sum(t for t, _ in samples) / len(samples)
    mean_m = sum(m for _, m in samples) / len(samples)
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    slope = sum((t - mean_t) * (m - mean_m) for t, m in samples) / spread if spread else 0.0
    return MemoryFigures(
        first_mib=round(samples[0][1], 1),
        last_mib=round(samples[-1][1], 1),
        first_minute_mib=round(sum(first) / len(first), 1),
        last_minute_mib=round(sum(last) / len(last), 1),
        slope_mib_per_min=round(slope * 60, 2),
    )


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * PAGE_KIB
    except (OSError, ValueError):
        pass
    return 0


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command may hold spaces and parentheses: the fields after its last `)`.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        found.setdefault(int(fields[1]), []).append(int(entry.name))
    return found
