"""Faults injected into a running fleet on a schedule, while the mixed load runs: the machinery
of bench/faults.py and of its reduced form in CI (tests/integration/test_fleet_faults.py).

A `Fault` is injected at its time (from the load's first scheduled request) and removed after
it lasts; `windows` then reads, from the load's per-second timeline, the requests that failed
while each fault was in effect and until the next, and how long recovery took.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.soak.run import SoakResult


@dataclass
class Fault:
    name: str
    at_s: float  # from the load's first scheduled request
    lasts_s: float  # until the fault is removed (0: a single blow)
    inject: Callable[[], None]
    remove: Callable[[], None]
    started_s: float = 0.0
    removed_s: float = 0.0
    error: str = ""


def inject_all(schedule: list[Fault], start_at: float) -> threading.Thread:
    def run() -> None:
        for fault in schedule:
            _sleep_until(start_at + fault.at_s)
            fault.started_s = time.time() - start_at
            try:
                fault.inject()
                _sleep_until(start_at + fault.at_s + fault.lasts_s)
                fault.remove()
            except Exception as error:  # a fault that cannot be injected is reported, not fatal
                fault.error = f"{type(error).__name__}: {error}"
            fault.removed_s = time.time() - start_at

    thread = threading.Thread(target=run, name="faults", daemon=True)
    thread.start()
    return thread


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def windows(result: SoakResult, schedule: list[Fault], seconds: float) -> list[dict[str, Any]]:
    rows = []
    for index, fault in enumerate(schedule):
        start = int(fault.at_s)
        end = int(schedule[index + 1].at_s) if index + 1 < len(schedule) else int(seconds)
        failed: Counter[str] = Counter()
        last_error = None
        for second in range(start, end):
            counts = result.timeline.get(second, {})
            if counts.get("errors"):
                last_error = second
            for key, value in counts.items():
                if key.startswith("errors:"):
                    failed[key.removeprefix("errors:")] += value
        rows.append(
            {
                "fault": fault.name,
                "started_s": round(fault.started_s, 1),
                "removed_s": round(fault.removed_s, 1),
                "failed_requests": sum(failed.values()),
                "failed_by_route": dict(failed),
                "recovery_s": 0.0 if last_error is None else last_error + 1 - fault.at_s,
                "injection_error": fault.error,
            }
        )
    return rows
