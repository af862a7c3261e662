"""Fast paths for the two busiest calls: catalog documents and stream URLs, without the framework.

Stream URLs: `GET /api/v1/tracks/{id}/stream` from a signed-in listener whose entitlement and
track are cached is answered here; anything else falls through to the real route the same way.

Catalog documents: cached track, album and artist JSON.

`GET /api/v1/{tracks|albums|artists}/{id}` is most of Encore's traffic, and once a document is
rendered the answer is fixed bytes. Resolving FastAPI's routing and dependencies for it costs
several times more than sending it, so this middleware answers a signed-in listener straight
from the document cache. Anything else (a cache miss, a bad or missing token, a malformed id)
falls through to the real route, which stays the single source of the behaviour: it renders and
caches the document, and produces every error.
"""

import logging

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from encore.accounts.tokens import AccessTokens
from encore.api.middleware import ROUTE_TEMPLATE
from encore.api.rate_limits import bearer_principal, limited
from encore.catalog.documents import RenderedDocuments
from encore.catalog.model import Quality
from encore.errors import EncoreError
from encore.history.routes import EVENTS_PATH, answer_batch
from encore.history.service import MAX_BATCH, ListeningService
from encore.ids import is_valid_id
from encore.rate_limits import RouteLimits
from encore.streaming.schemas import stream_json
from encore.streaming.service import StreamService

log = logging.getLogger(__name__)
PREFIX = "/api/v1/"
# URL segment -> (document kind, route template).
SERVED = {
    "tracks": ("track", "/api/v1/tracks/{track_id}"),
    "albums": ("album", "/api/v1/albums/{album_id}"),
    "artists": ("artist", "/api/v1/artists/{artist_id}"),
}
HEADERS = [(b"content-type", b"application/json")]
TRACKS, STREAM = "/api/v1/tracks/", "/stream"
STREAM_TEMPLATE = "/api/v1/tracks/{track_id}/stream"


class DocumentFastPath:
    def __init__(
        self,
        app: ASGIApp,
        *,
        documents: RenderedDocuments,
        access_tokens: AccessTokens,
    ) -> None:
        self.app = app
        self._documents = documents
        self._access_tokens = access_tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path.startswith(PREFIX):
                segment, _, entity_id = path[len(PREFIX) :].partition("/")
                served = SERVED.get(segment)
                if served is not None and is_valid_id(entity_id) and self._signed_in(scope):
                    kind, template = served
                    document = self._documents.get(kind, entity_id)
                    if document is not None:
                        # Metrics count both paths as the one route they are.
                        scope[ROUTE_TEMPLATE] = template
                        await _send_json(send, document)
                        return
        await self.app(scope, receive, send)

    def _signed_in(self, scope: Scope) -> bool:
        return bearer_principal(scope, self._access_tokens) is not None


class StreamFastPath:
    """Also where stream URLs are rate-limited (`limits`, when any), the route's included."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        streams: StreamService,
        access_tokens: AccessTokens,
        limits: RouteLimits,
    ) -> None:
        self.app = app
        self._streams = streams
        self._access_tokens = access_tokens
        self._limits = limits if limits else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path.startswith(TRACKS) and path.endswith(STREAM):
                if self._limits is not None:
                    refusal = limited(scope, "stream", self._limits, self._access_tokens)
                    if refusal is not None:
                        await refusal(scope, receive, send)
                        return
                body = self._answer(scope, path[len(TRACKS) : -len(STREAM)])
                if body is not None:
                    scope[ROUTE_TEMPLATE] = STREAM_TEMPLATE
                    await _send_json(send, body)
                    return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope, track_id: str) -> bytes | None:
        quality = _QUALITIES.get(scope["query_string"])
        if quality is None or not is_valid_id(track_id):
            return None
        principal = bearer_principal(scope, self._access_tokens)
        if principal is None:
            return None
        try:
            grant = self._streams.grant_if_warm(
                user_id=principal.user_id,
                track_id=track_id,
                quality=quality,
                default_origin=_base_url(scope),
            )
        except EncoreError:
            return None  # the route says what is wrong, as problem+json
        except Exception:
            # Ahead of the framework's error pages: the route answers for anything unforeseen.
            log.exception("The stream fast path failed on track %s", track_id)
            return None
        return None if grant is None else stream_json(grant)


# The queries the fast path takes, each exactly `quality=...` or empty; anything else (another
# parameter, an unknown quality, an encoding) goes to the route.
_QUALITIES = {b"": Quality.HIGH} | {f"quality={q.value}".encode(): q for q in Quality}


def _base_url(scope: Scope) -> str:
    """What Starlette's `request.base_url` gives, without building a Request."""
    host = next((v for k, v in scope["headers"] if k == b"host"), None)
    if host is None:
        server_host, port = scope.get("server") or ("localhost", 80)
        host_text = f"{server_host}:{port}"
    else:
        host_text = host.decode("latin-1")
    return f"{scope.get('scheme', 'http')}://{host_text}{scope.get('root_path', '')}"


class EventsFastPath:
    """`POST /api/v1/me/player/events` from a signed-in player, without the framework: the
    busiest write. Anything unusual (a body that is not `{"events": [...]}`, too many events, a
    bad token) goes to the real route with the body replayed, which answers it."""

    def __init__(
        self, app: ASGIApp, *, listening: ListeningService, access_tokens: AccessTokens
    ) -> None:
        self.app = app
        self._listening = listening
        self._access_tokens = access_tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == EVENTS_PATH
            and (principal := bearer_principal(scope, self._access_tokens)) is not None
        ):
            body = await _read_body(receive)
            answer = await run_in_threadpool(self._answer, principal.user_id, body)
            if answer is not None:
                scope[ROUTE_TEMPLATE] = EVENTS_PATH
                await _send_json(send, answer, status=202)
                return
            receive = _replay(body)
        await self.app(scope, receive, send)

    def _answer(self, user_id: str, body: bytes) -> bytes | None:
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(document, dict) or document.keys() != {"events"}:
            return None
        events = document["events"]
        if not isinstance(events, list) or not 0 < len(events) <= MAX_BATCH:
            return None
        try:
            return answer_batch(self._listening, user_id, events)
        except EncoreError:
            return None  # raised before anything was logged; the route says what is wrong


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _send_json(send: Send, body: bytes, *, status: int = 200) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*HEADERS, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
