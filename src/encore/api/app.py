"""The FastAPI application factory."""

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    ProcessCollector,
    generate_latest,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from encore import __version__
from encore.account_data.routes import router as account_data_router
from encore.accounts.routes import router as accounts_router
from encore.admin.routes import router as admin_router
from encore.api import problems
from encore.api.fast_path import DocumentFastPath, EventsFastPath, StreamFastPath
from encore.api.metrics_access import MetricsAccess
from encore.api.middleware import BodySizeLimit, Metrics, RedisFallbacks
from encore.api.rate_limits import RouteRateLimits
from encore.api.security_headers import SecurityHeaders
from encore.bootstrap import Services
from encore.catalog.routes import router as catalog_router
from encore.history.routes import router as player_router
from encore.library.routes import router as library_router
from encore.recommend.routes import router as recommend_router
from encore.search.routes import router as search_router
from encore.streaming.edge import AudioEdge, AudioEdgeMount
from encore.streaming.routes import router as streaming_router
from encore.subsonic.credential_routes import router as subsonic_credentials_router
from encore.subsonic.routes import router as subsonic_router
from encore.web.mount import mount_player
from encore.wrapped.routes import router as wrapped_router

EVENT_BATCH_BYTES = 8 << 20


class EncoreApp(FastAPI):
    """FastAPI with a front of Encore's own: metrics and the hot paths (stream URLs, cached
    documents, audio bytes) run ahead of the framework's middleware (error pages, telemetry,
    its body limit), which only what they pass on needs. They answer in tens of microseconds,
    and each layer they skip is a few more."""

    front: Callable[[ASGIApp], ASGIApp] = staticmethod(lambda framework: framework)

    def build_middleware_stack(self) -> ASGIApp:
        return self.front(super().build_middleware_stack())


def create_app(services: Services, *, freeze_heap: bool = False) -> FastAPI:
    """The ASGI app over `services`. `freeze_heap` is for a server process, which the app
    outlives nothing in: see the lifespan. An app made for a test leaves the heap alone, since a
    full collection over a test run's heap on every start would cost far more than it saves."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        services.origin_health.start()
        if services.settings.run_consumers:
            services.pipeline.start()
        services.recommend_scheduler.start()
        # What start-up built (modules, schemas, the app) lives as long as the process. Frozen,
        # the collector stops walking it: a full collection over it takes some 50 ms, a pause
        # that every request in flight would wait through, several times a minute under load.
        if freeze_heap:
            gc.collect()
            gc.freeze()
        yield
        if freeze_heap:
            gc.unfreeze()
        services.recommend_scheduler.stop()
        services.pipeline.stop()
        services.origin_health.stop()
        services.close()

    app = EncoreApp(
        title="Encore",
        version=__version__,
        description="A self-hostable music streaming service",
        lifespan=lifespan,
        responses=problems.PROBLEM_RESPONSES,
        # Encore exports Prometheus metrics; FastAPI's own OpenTelemetry hooks would only cost
        # time on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.services = services
    registry = CollectorRegistry()
    # The process's CPU, memory and file descriptors, read from /proc when scraped.
    ProcessCollector(registry=registry)
    if services.redis_outages:
        registry.register(RedisFallbacks(services.redis_outages))
    problems.install(app)
    # The busiest routes first: the router tries them in order.
    app.include_router(catalog_router)
    app.include_router(streaming_router)
    app.include_router(search_router)
    app.include_router(accounts_router)
    # Ahead of the library's /playlists/{id}: /playlists/discover-weekly is its own route.
    app.include_router(recommend_router)
    app.include_router(library_router)
    app.include_router(player_router)
    app.include_router(wrapped_router)
    app.include_router(subsonic_credentials_router)
    app.include_router(subsonic_router)
    app.include_router(admin_router)
    app.include_router(account_data_router)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> Response:
        failing = await run_in_threadpool(services.failing_checks)
        if failing:
            return problems.problem(
                503, kind="unhealthy", detail=f"Failing: {', '.join(failing)}", checks=failing
            )
        return Response(b'{"status":"ok"}', media_type="application/json")

    scraper = MetricsAccess(services.settings.metrics_token)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        refusal = scraper.refusal(request)
        if refusal is not None:
            return refusal
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    # Last: the player's page and files, after every API route.
    mount_player(app)

    # The events fast path reads a body, so it sits inside the body limit, in the framework's
    # stack; the others answer GETs and run ahead of it (see EncoreApp).
    app.add_middleware(
        EventsFastPath, listening=services.listening, access_tokens=services.access_tokens
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=services.settings.max_body_bytes,
        # Room for a batch over the event limit, so that the route can say what the limit is.
        larger={"/api/v1/me/player/events": EVENT_BATCH_BYTES},
    )
    edge = AudioEdge(media=services.media, signer=services.url_signer)
    # Subsonic's `stream` hands its signed path to the same edge.
    app.state.audio_edge = edge

    def front(framework: ASGIApp) -> ASGIApp:
        # Outermost first: security headers on every answer; metrics see every answer, the
        # framework's error pages included. The limits of sign-in, search and events sit behind
        # the hot paths, which never pay for them; the stream-URL fast path applies its own.
        hot: ASGIApp = framework
        if services.route_limits:
            hot = RouteRateLimits(
                hot, limits=services.route_limits, access_tokens=services.access_tokens
            )
        hot = AudioEdgeMount(hot, edge=edge)
        hot = DocumentFastPath(
            hot, documents=services.documents, access_tokens=services.access_tokens
        )
        hot = StreamFastPath(
            hot,
            streams=services.streams,
            access_tokens=services.access_tokens,
            limits=services.route_limits,
        )
        hot = Metrics(hot, registry=registry)
        settings = services.settings
        return SecurityHeaders(
            hot,
            media_origins=[o for origins in settings.cdn_origins.values() for o in origins],
            cors_origins=settings.cors_origins,
            hsts_max_age_s=settings.hsts_max_age_s,
        )

    app.front = front
    return app
