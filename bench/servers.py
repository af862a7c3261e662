"""Server launchers that benchmark scripts run as subprocesses.

    python bench/servers.py encore --data DIR --port P
    python bench/servers.py bare --port P --body-file F [--route /api/v1/tracks/{track_id}]

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

    # As `encore serve` does; it matters only if something logs on the hot path.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings(data_dir=data_dir, host=HOST, port=port)
    uvicorn.run(create_app(bootstrap(settings)), host=HOST, port=port, **UVICORN_OPTIONS)


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
    args = parser.parse_args(argv)
    if args.target == "encore":
        serve_encore(args.data, args.port)
    else:
        serve_bare(args.body_file, args.port, args.route)


if __name__ == "__main__":
    main()
