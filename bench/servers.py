"""Server launchers that benchmark scripts run as subprocesses.

    python bench/servers.py encore --data DIR --port P
    python bench/servers.py bare --port P --body-file F [--route /api/v1/tracks/{track_id}]
    python bench/servers.py fts5 --db FILE --port P

Both run uvicorn with exactly the options of `encore serve` (see `encore.cli.serve`), so that the
only difference between them is the application.
"""

import argparse
import logging
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HOST = "127.0.0.1"
# Mirrors encore.cli.serve: one process, uvloop, httptools, no access log.
UVICORN_OPTIONS: dict[str, Any] = {
    "loop": "uvloop",
    "http": "httptools",
    "access_log": False,
    "log_level": "info",
}
TRACK_ROUTE = "/api/v1/tracks/{track_id}"


def bare_app(body: bytes, route: str = TRACK_ROUTE) -> Starlette:
    """The framework's ceiling: one Starlette route answering fixed JSON bytes."""

    async def answer(_: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route(route, answer, methods=["GET"])])


def serve_encore(data_dir: Path, port: int) -> None:
    import uvicorn

    from encore.api.app import create_app
    from encore.bootstrap import bootstrap
    from encore.config import load_settings
    from encore.rate_limits import ROUTE_CLASSES

    # As `encore serve` does; it matters only if something logs on the hot path.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # A benchmark is one listener asking thousands of times a second: the rate limits stay on
    # (their cost is part of the figures) but so high that none refuses. ENCORE_RATE_LIMITS=false
    # turns them off, to measure that cost.
    unreached = {
        f"rate_limit_{route_class}_{part}": 1_000_000_000
        for route_class in ROUTE_CLASSES
        for part in ("per_s", "burst")
    }
    settings = load_settings(data_dir=data_dir, host=HOST, port=port, **unreached)
    uvicorn.run(
        create_app(bootstrap(settings), freeze_heap=True), host=HOST, port=port, **UVICORN_OPTIONS
    )


def fts5_app(db: Path) -> Starlette:
    """The FTS5 baseline of bench/search.py behind the same route and answer shape as Encore's
    search (tracks only; no sign-in check, no total count)."""
    import sqlite3
    import threading

    import orjson

    from _search_fts5 import search

    local = threading.local()

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "connection"):
            local.connection = sqlite3.connect(db, check_same_thread=False)
        found: sqlite3.Connection = local.connection
        return found

    def answer(q: str, limit: int) -> bytes:
        items = [
            {
                "id": d.id,
                "name": d.name,
                "artists": [{"id": a.id, "name": a.name} for a in d.artists],
                "album": {"id": d.album.id, "name": d.album.name} if d.album else None,
                "duration_ms": d.duration_ms,
                "popularity": d.popularity,
            }
            for d in search(connection(), q, limit)
        ]
        return orjson.dumps({"tracks": {"items": items, "total": len(items)}})

    async def route(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        q = request.query_params.get("q", "")
        limit = int(request.query_params.get("limit", "20"))
        return Response(await run_in_threadpool(answer, q, limit), media_type="application/json")

    return Starlette(routes=[Route("/api/v1/search", route, methods=["GET"])])


def serve_fts5(db: Path, port: int) -> None:
    import uvicorn

    uvicorn.run(fts5_app(db), host=HOST, port=port, **UVICORN_OPTIONS)


def serve_bare(body_file: Path, port: int, route: str) -> None:
    import uvicorn

    uvicorn.run(bare_app(body_file.read_bytes(), route), host=HOST, port=port, **UVICORN_OPTIONS)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    targets = parser.add_subparsers(dest="target", required=True)
    encore = targets.add_parser("encore", help="the Encore app over a data directory")
    encore.add_argument("--data", type=Path, required=True)
    encore.add_argument("--port", type=int, required=True)
    bare = targets.add_parser("bare", help="a bare Starlette route answering fixed bytes")
    bare.add_argument("--body-file", type=Path, required=True)
    bare.add_argument("--port", type=int, required=True)
    bare.add_argument("--route", default=TRACK_ROUTE, help=f"the one route (default {TRACK_ROUTE})")
    fts5 = targets.add_parser("fts5", help="the SQLite FTS5 search baseline of bench/search.py")
    fts5.add_argument("--db", type=Path, required=True)
    fts5.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if args.target == "encore":
        serve_encore(args.data, args.port)
    elif args.target == "fts5":
        serve_fts5(args.db, args.port)
    else:
        serve_bare(args.body_file, args.port, args.route)


if __name__ == "__main__":
    main()
