"""Serving the web player: `/` (the page), `/sw.js` (its service worker) and `/static/...`.

These routes are added after every API route and run inside the framework, behind the front
fast paths (stream URLs, documents, `/audio`), so the player's files never cost the API's hot
paths anything. Files are sent with `Cache-Control: no-cache` and an ETag: a browser asks again
each time and gets a 304 while nothing changed, so an upgraded Encore is seen at once; the
service worker keeps its own copy for when the server cannot be reached.
"""

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
NO_CACHE = {"Cache-Control": "no-cache"}


class _RevalidatedFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.setdefault("Cache-Control", "no-cache")
        return response


def mount_player(app: FastAPI) -> None:
    """Add the player's routes to `app`; call it after the API's routers."""

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=NO_CACHE)

    @app.get("/sw.js", include_in_schema=False)
    async def service_worker() -> FileResponse:
        # Served from the root so that its scope is the whole player.
        return FileResponse(STATIC / "sw.js", media_type="text/javascript", headers=NO_CACHE)

    app.mount("/static", _RevalidatedFiles(directory=STATIC), name="player-static")
