"""The catalog document fast path: cached track, album and artist JSON without the framework.

`GET /api/v1/{tracks|albums|artists}/{id}` is most of Encore's traffic, and once a document is
rendered the answer is fixed bytes. Resolving FastAPI's routing and dependencies for it costs
several times more than sending it, so this middleware answers a signed-in listener straight
from the document cache. Anything else (a cache miss, a bad or missing token, a malformed id)
falls through to the real route, which stays the single source of the behaviour: it renders and
caches the document, and produces every error.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from encore.accounts.tokens import AccessTokens
from encore.api.middleware import ROUTE_TEMPLATE
from encore.catalog.documents import RenderedDocuments
from encore.errors import NotAuthenticated
from encore.ids import is_valid_id

PREFIX = "/api/v1/"
# URL segment -> (document kind, route template).
SERVED = {
    "tracks": ("track", "/api/v1/tracks/{track_id}"),
    "albums": ("album", "/api/v1/albums/{album_id}"),
    "artists": ("artist", "/api/v1/artists/{artist_id}"),
}
HEADERS = [(b"content-type", b"application/json")]


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
                        await send(
                            {
                                "type": "http.response.start",
                                "status": 200,
                                "headers": [
                                    *HEADERS,
                                    (b"content-length", str(len(document)).encode()),
                                ],
                            }
                        )
                        await send({"type": "http.response.body", "body": document})
                        return
        await self.app(scope, receive, send)

    def _signed_in(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() != "bearer" or not token:
                    return False
                try:
                    self._access_tokens.verify(token)
                except NotAuthenticated:
                    return False
                return True
        return False
