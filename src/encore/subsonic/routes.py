"""`/rest/{method}` and `/rest/{method}.view`, GET or POST form: the Subsonic API on the wire.

Every answer is HTTP 200 with `status="ok"` or `"failed"` and the protocol's error code, as
clients expect (a deprecated method is 410); audio and cover art are bytes. Nothing a client
sends is answered with a 500: domain errors map to the protocol's codes, anything else to
error 0.
"""

import asyncio
import logging
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from encore import errors
from encore.bootstrap import Services
from encore.streaming.edge import AudioEdge
from encore.subsonic import render
from encore.subsonic.browse import METHODS as BROWSE
from encore.subsonic.browse import Method
from encore.subsonic.facade import Caller
from encore.subsonic.personal import METHODS as PERSONAL
from encore.subsonic.protocol import ErrorCode, Node, Params, SubsonicError, node, not_found
from encore.subsonic.views import content_type

router = APIRouter(tags=["subsonic"], include_in_schema=False)
log = logging.getLogger(__name__)

METHODS: dict[str, Method] = {**BROWSE, **PERSONAL}
BINARY = frozenset({"stream", "download", "getCoverArt"})
DEPRECATED = frozenset({"search", "getAlbumList", "getStarred", "getMusicDirectory", "search2"})
# Codecs made on the fly for players that cannot play Ogg Vorbis: `format` -> encoder.
LIVE_TARGETS = {"mp3": "mp3", "opus": "opus", "aac": "aac", "m4a": "aac"}
LIVE_TARGETS_TYPES = {"mp3": "audio/mpeg", "opus": "audio/ogg", "aac": "audio/aac"}
EXTENSIONS = {"formPost": [1], "apiKeyAuthentication": [1], "transcodeOffset": [1]}
MAX_PARAMS = 2_000
_CODES: list[tuple[type[errors.EncoreError], ErrorCode]] = [
    (errors.NotFound, ErrorCode.NOT_FOUND),
    (errors.NotLicensed, ErrorCode.NOT_FOUND),
    (errors.PermissionDenied, ErrorCode.NOT_AUTHORIZED),
    (errors.NotAuthenticated, ErrorCode.WRONG_CREDENTIALS),
]


@router.api_route("/rest/{method}", methods=["GET", "POST", "HEAD"])
async def subsonic(method: str, request: Request) -> Response:
    services: Services = request.app.state.services
    name = method.removesuffix(".view")
    pairs = list(request.query_params.multi_items())
    version = services.subsonic.server_version
    if request.method == "POST" and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        try:
            form = await request.form(max_files=0, max_fields=MAX_PARAMS)
        except Exception:  # a malformed or oversized body: the client's mistake, not ours
            unreadable = SubsonicError(ErrorCode.GENERIC, "The form body could not be read")
            return _answer(render.failed(unreadable, render.Format("xml"), version))
        pairs += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    params = Params(pairs[:MAX_PARAMS])
    client = request.client.host if request.client else ""
    try:
        fmt = render.response_format(params.get("f"), params.get("callback"))
    except SubsonicError as error:
        return _answer(render.failed(error, render.Format("json"), version))
    try:
        if name in DEPRECATED:
            return _answer(
                render.failed(
                    SubsonicError(ErrorCode.GENERIC, f"{name} is gone: use its successor"),
                    fmt,
                    version,
                ),
                status=410,
            )
        if name == "getOpenSubsonicExtensions":
            return _answer(render.ok(_extensions(), fmt, version))
        if name not in METHODS and name not in BINARY:
            raise SubsonicError(ErrorCode.GENERIC, f"Not implemented: {name[:60]}")
        # An account that keeps failing to sign in answers slowly; the wait holds no thread.
        delay_s = services.subsonic_sign_in.delay_s(params)
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        if name in BINARY:
            caller = await run_in_threadpool(services.subsonic_sign_in.caller, name, params, client)
            return await _binary(name, services, caller, params, request)
        # One trip to a worker thread for both: each costs the event loop a hand-over.
        return _answer(await run_in_threadpool(_call, services, name, params, fmt, client))
    except SubsonicError as error:
        return _answer(render.failed(error, fmt, version))
    except errors.RateLimited as error:
        # The protocol's error in the body, and HTTP's 429 for what sits between.
        limited = SubsonicError(ErrorCode.GENERIC, error.detail)
        return _answer(
            render.failed(limited, fmt, version),
            status=429,
            headers={"Retry-After": str(error.retry_after_s)},
        )
    except errors.EncoreError as error:
        return _answer(render.failed(_translated(error), fmt, version))
    except Exception:
        log.exception("Subsonic %s failed", name)
        failure = SubsonicError(ErrorCode.GENERIC, "The server could not answer; try again")
        return _answer(render.failed(failure, fmt, version))


def _call(
    services: Services, name: str, params: Params, fmt: render.Format, client: str
) -> tuple[bytes, str]:
    caller = services.subsonic_sign_in.caller(name, params, client)
    body = METHODS[name](services.subsonic, caller, params)
    return render.ok(body, fmt, services.subsonic.server_version)


def _answer(
    rendered: tuple[bytes, str], *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body, media_type = rendered
    headers = {"X-Content-Type-Options": "nosniff", **(headers or {})}
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def _translated(error: errors.EncoreError) -> SubsonicError:
    for kind, code in _CODES:
        if isinstance(error, kind):
            return SubsonicError(code, error.detail)
    return SubsonicError(ErrorCode.GENERIC, error.detail)


def _extensions() -> list[Node]:
    items = []
    for name, versions in EXTENSIONS.items():
        item = node("openSubsonicExtensions", name=name)
        item.values("versions", versions)
        items.append(item)
    return items


# --- bytes: audio and cover art ----------------------------------------------------------------


async def _binary(
    name: str, services: Services, caller: Caller, params: Params, request: Request
) -> Response:
    if name == "getCoverArt":
        return await run_in_threadpool(_cover, services, params)
    track_id = params.required("id")
    wanted = (params.get("format") or "").lower()
    raw = name == "download" or wanted == "raw"
    max_kbps = None if raw else params.integer("maxBitRate", 0, most=100_000) or None
    offset_s = 0 if name == "download" else params.integer("timeOffset", 0, most=24 * 3600)
    grant = await run_in_threadpool(
        services.streams.grant_within,
        user_id=caller.user_id,
        track_id=track_id,
        max_kbps=max_kbps,
        lossless=raw or wanted == "flac",
        default_origin=str(request.base_url),
    )
    url = urlsplit(grant.stream_url)
    target = LIVE_TARGETS.get(wanted) if not raw else None
    seeking = offset_s and offset_s * 1000 < grant.duration_ms
    if target is None and not seeking:
        return EdgeAnswer(request.app.state.audio_edge, url.path, url.query)
    source = await run_in_threadpool(services.media.local_path, url.path.lstrip("/"))
    if source is None:
        raise SubsonicError(ErrorCode.GENERIC, "This file cannot be played that way here")
    return StreamingResponse(
        services.subsonic_live.stream(
            source,
            offset_s=offset_s if seeking else 0,
            target=target,
            bitrate_kbps=grant.bitrate_kbps,
        ),
        media_type=LIVE_TARGETS_TYPES.get(target or "", content_type(grant.format)),
        headers={"Cache-Control": "private, no-store"},
    )


class EdgeAnswer(Response):
    """The audio edge's own answer for a signed path (Range, ETag, 206, 416 and all), kept
    private to the listener: the request's URL carries their credentials."""

    def __init__(self, edge: AudioEdge, path: str, query: str) -> None:
        super().__init__()
        self._edge = edge
        self._path = path
        self._query = query

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        inner = dict(scope)
        inner.update(
            method="HEAD" if scope["method"] == "HEAD" else "GET",
            path=self._path,
            raw_path=self._path.encode(),
            query_string=self._query.encode(),
        )

        async def private(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, b"private, no-transform" if k == b"cache-control" else v)
                    for k, v in message["headers"]
                ]
            await send(message)

        await self._edge(inner, receive, private)


# Sizes covers are made at: a request is served the smallest one at least as large.
COVER_SIZES = (64, 128, 256, 512, 1024)


def _cover(services: Services, params: Params) -> Response:
    item_id = params.required("id")
    size = params.integer("size", 0, most=100_000)
    key = services.subsonic.cover_key(item_id)
    stored = services.media.stat(key) if key else None
    if key is None or stored is None:
        raise not_found("Cover art")
    bucket = next((s for s in COVER_SIZES if s >= size), None) if size else None
    if bucket is not None:
        # Made once per size and kept beside the original, in the same store.
        sized = f"covers/{bucket}/{key.rsplit('/', 1)[-1].rsplit('.', 1)[0]}.jpg"
        if services.media.stat(sized) is None:
            original = b"".join(services.media.read_range(key, 0, stored.size - 1))
            try:
                scaled = services.subsonic_covers.scale(original, bucket)
            except ValueError:
                scaled = b""
            if scaled:
                services.media.put_bytes(sized, scaled, content_type="image/jpeg")
        if services.media.stat(sized) is not None:
            key = sized
            stored = services.media.stat(key)
    assert stored is not None
    data = b"".join(services.media.read_range(key, 0, stored.size - 1)) if stored.size else b""
    return Response(
        data,
        media_type=stored.content_type or "image/jpeg",
        headers={"Cache-Control": "private, max-age=86400"},
    )
