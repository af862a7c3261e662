"""Time to first byte under load: N keep-alive connections, each sending GETs back to back.

wrk reports the latency of whole responses; for a 1 MiB answer that is mostly transfer time,
not how long a player waits before audio starts. This client records, for every request, the
time from writing it to receiving the first byte of its body, and reads the rest of the body
without looking at it (asyncio protocol callbacks on uvloop, so a chunk costs one callback).

The clock reads happen in the client's event loop, so a busy client adds its own delay: the
figures are upper bounds on the server's time to first byte, never flattering.
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

import uvloop

from common import LOOPBACK, BenchError

MAX_HEAD_BYTES = 16 * 1024


@dataclass(frozen=True)
class TtfbResult:
    requests: int
    duration_s: float
    requests_per_s: float
    body_bytes_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of values sorted in ascending order."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


def measure_ttfb(
    port: int,
    requests: Sequence[bytes],
    *,
    connections: int,
    duration_s: float,
    expected_status: int,
    expected_length: int,
) -> TtfbResult:
    """Run `connections` connections to `127.0.0.1:port` for `duration_s`, cycling through the
    raw `requests` (each a full HTTP/1.1 request with keep-alive). Every answer must have
    `expected_status` and a body of `expected_length` bytes, or the run fails."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(
            _run(port, requests, connections, duration_s, expected_status, expected_length)
        )


async def _run(
    port: int,
    requests: Sequence[bytes],
    connections: int,
    duration_s: float,
    expected_status: int,
    expected_length: int,
) -> TtfbResult:
    loop = asyncio.get_running_loop()
    samples: list[float] = []
    stats = _Totals()
    started = time.perf_counter()
    deadline = started + duration_s
    protocols: list[_Connection] = []
    for index in range(connections):
        # Each connection starts at another request, so that they do not move in lockstep.
        start = index % len(requests)
        connection = _Connection(
            [*requests[start:], *requests[:start]],
            deadline=deadline,
            expected=(expected_status, expected_length),
            samples=samples,
            totals=stats,
            finished=loop.create_future(),
        )
        _, protocol = await loop.create_connection(_returning(connection), LOOPBACK, port)
        protocols.append(protocol)
    await asyncio.gather(*(protocol.finished for protocol in protocols))
    elapsed = time.perf_counter() - started
    samples.sort()
    return TtfbResult(
        requests=len(samples),
        duration_s=elapsed,
        requests_per_s=len(samples) / elapsed,
        body_bytes_per_s=stats.body_bytes / elapsed,
        p50_ms=percentile(samples, 0.50) * 1000,
        p90_ms=percentile(samples, 0.90) * 1000,
        p99_ms=percentile(samples, 0.99) * 1000,
        max_ms=samples[-1] * 1000 if samples else float("nan"),
    )


def _returning(connection: "_Connection") -> Callable[[], "_Connection"]:
    return lambda: connection


class _Totals:
    body_bytes = 0


class _Connection(asyncio.Protocol):
    """One keep-alive connection: send, time the first body byte, drain the body, repeat."""

    def __init__(
        self,
        requests: Sequence[bytes],
        *,
        deadline: float,
        expected: tuple[int, int],
        samples: list[float],
        totals: _Totals,
        finished: "asyncio.Future[None]",
    ) -> None:
        self._requests = requests
        self._next = 0
        self._deadline = deadline
        self._status, self._length = expected
        self._samples = samples
        self._totals = totals
        self.finished = finished
        self._transport: asyncio.Transport | None = None
        self._sent_at = 0.0
        self._head = b""
        self._remaining = -1  # -1: reading the head; else body bytes still to come
        self._timed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport but have its methods.
        self._transport = cast(asyncio.Transport, transport)
        self._send()

    def _send(self) -> None:
        assert self._transport is not None
        if time.perf_counter() >= self._deadline:
            self._transport.close()
            self._finish(None)
            return
        request = self._requests[self._next]
        self._next = (self._next + 1) % len(self._requests)
        self._head, self._remaining, self._timed = b"", -1, False
        self._sent_at = time.perf_counter()
        self._transport.write(request)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        if self._remaining < 0:
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                if len(self._head) > MAX_HEAD_BYTES:
                    self._fail(f"no end of headers in {len(self._head)} bytes")
                return
            error = self._check_head(self._head[:end])
            if error is not None:
                self._fail(error)
                return
            body = len(self._head) - end - 4
            self._remaining = self._length
        else:
            body = len(data)
        if body and not self._timed:
            self._samples.append(now - self._sent_at)
            self._timed = True
        self._remaining -= body
        self._totals.body_bytes += body
        if self._remaining == 0:
            self._send()
        elif self._remaining < 0:
            self._fail("more body bytes than Content-Length")

    def _check_head(self, head: bytes) -> str | None:
        status_line, _, fields = head.partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or parts[1] != str(self._status).encode():
            return f"expected {self._status}, got {status_line!r}"
        for line in fields.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                if int(value) != self._length:
                    return f"expected {self._length} body bytes, got {int(value)}"
                return None
        return "no Content-Length"

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.finished.done():
            self._finish(BenchError(f"connection closed mid-run ({exc or 'by the server'})"))

    def _fail(self, reason: str) -> None:
        if self._transport is not None:
            self._transport.close()
        self._finish(BenchError(f"time-to-first-byte client: {reason}"))

    def _finish(self, error: BenchError | None) -> None:
        if self.finished.done():
            return
        if error is None:
            self.finished.set_result(None)
        else:
            self.finished.set_exception(error)
