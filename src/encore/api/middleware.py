"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a task per request on the hot path)."""

import bisect
import itertools
import time
from collections.abc import Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from encore.adapters.redis_client import RedisOutages
from encore.api.problems import problem

# A scope key through which an answer given outside the router names its route template.
ROUTE_TEMPLATE = "encore.route_template"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
_BOUNDS = [*(repr(bound) for bound in LATENCY_BUCKETS), "+Inf"]  # as the exposition names them


class BodyTooLarge(HTTPException):
    """Raised while reading a body that outgrew the limit. An HTTPException, so that a framework
    reading the body passes it on as it is instead of calling it a parse error."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"Request bodies are limited to {max_bytes} bytes")


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` with 413, whether or not they declare a length."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, larger: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._larger = larger or {}  # exact paths allowed more

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        limit = self._larger.get(scope["path"], self.max_bytes)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._refuse(scope, receive, send, limit)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(
            413,
            kind="body-too-large",
            detail=f"Request bodies are limited to {limit} bytes",
            instance=scope["path"],
        )
        await response(scope, receive, send)


class Metrics:
    """Request counts and latency histograms, labelled by route template.

    Kept in plain numbers, updated on the event loop alone, and turned into Prometheus families
    only when scraped: prometheus_client's own metrics take a lock per update, several per
    request, on a path that answers in tens of microseconds.
    """

    def __init__(self, app: ASGIApp, *, registry: CollectorRegistry) -> None:
        self.app = app
        self._routes: dict[tuple[str, str], _RouteSeries] = {}
        registry.register(self)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            key = (scope["method"], _route_template(scope))
            series = self._routes.get(key)
            if series is None:
                series = self._routes[key] = _RouteSeries()
            series.observe(time.perf_counter() - started, status)

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "encore_http_requests", "HTTP requests answered", labels=["method", "route", "status"]
        )
        latency = HistogramMetricFamily(
            "encore_http_request_duration_seconds",
            "Time to answer an HTTP request",
            labels=["method", "route"],
        )
        for (method, route), series in list(self._routes.items()):
            for status, count in sorted(series.statuses.items()):
                requests.add_metric([method, route, str(status)], count)
            cumulative = list(itertools.accumulate(series.buckets))
            latency.add_metric(
                [method, route], list(zip(_BOUNDS, cumulative, strict=True)), series.seconds
            )
        yield requests
        yield latency


class RedisFallbacks:
    """Calls answered without Redis (a miss, a dropped write, a request let through unlimited)
    while it could not be reached, by component: a collector read when scraped."""

    def __init__(self, outages: Sequence[RedisOutages]) -> None:
        self._outages = outages

    def collect(self) -> Iterator[Metric]:
        fallbacks = CounterMetricFamily(
            "encore_redis_fallbacks",
            "Calls answered without Redis while it was unreachable",
            labels=["component"],
        )
        down = GaugeMetricFamily(
            "encore_redis_down", "1 while Redis is unreachable", labels=["component"]
        )
        for outages in self._outages:
            fallbacks.add_metric([outages.component], outages.failed_calls)
            down.add_metric([outages.component], 1 if outages.down else 0)
        yield fallbacks
        yield down


class _RouteSeries:
    __slots__ = ("buckets", "seconds", "statuses")

    def __init__(self) -> None:
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)  # the last one past every bound
        self.seconds = 0.0
        self.statuses: dict[int, int] = {}

    def observe(self, seconds: float, status: int) -> None:
        self.buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.seconds += seconds
        self.statuses[status] = self.statuses.get(status, 0) + 1


def _route_template(scope: Scope) -> str:
    # Templates, never raw paths: a label per track id would grow without bound.
    route: Any = scope.get("route")
    path = scope.get(ROUTE_TEMPLATE) or getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
