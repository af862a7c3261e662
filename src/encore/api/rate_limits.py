"""Rate limits on the API's sign-in, search, stream-URL and listening-event routes.

Ahead of the fast paths, so that they are limited too: it costs a dictionary lookup for every
other request, and for a limited one a bucket take. The listener it verifies from the bearer
token is left in the scope for the fast paths, which need not verify it again. The Subsonic API
is limited in its own route, which knows who a request speaks for only after authenticating it.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from encore.accounts.model import Principal
from encore.accounts.tokens import AccessTokens
from encore.api.problems import error_problem
from encore.errors import NotAuthenticated, RateLimited
from encore.rate_limits import RouteClass, RouteLimits

# The scope key under which a verified bearer token's listener (or None) is left.
PRINCIPAL = "encore.principal"
TRACKS, STREAM = "/api/v1/tracks/", "/stream"
ROUTE_CLASSES: dict[tuple[str, str], RouteClass] = {
    ("POST", "/api/v1/auth/token"): "login",
    ("GET", "/api/v1/search"): "search",
    ("GET", "/api/v1/search/suggest"): "search",
    ("POST", "/api/v1/me/player/events"): "events",
}


class RouteRateLimits:
    def __init__(self, app: ASGIApp, *, limits: RouteLimits, access_tokens: AccessTokens) -> None:
        self.app = app
        self._limits = limits
        self._access_tokens = access_tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            route_class = ROUTE_CLASSES.get((scope["method"], path))
            if route_class is None and path.startswith(TRACKS) and path.endswith(STREAM):
                route_class = "stream" if scope["method"] == "GET" else None
            if route_class is not None:
                principal = bearer_principal(scope, self._access_tokens)
                scope[PRINCIPAL] = principal
                client = scope.get("client")
                try:
                    self._limits.check(
                        route_class,
                        user_id=principal.user_id if principal else None,
                        client=client[0] if client else "",
                    )
                except RateLimited as error:
                    await error_problem(error, instance=path)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def bearer_principal(scope: Scope, access_tokens: AccessTokens) -> Principal | None:
    """The listener a valid bearer token speaks for; None without one or with a bad one."""
    if PRINCIPAL in scope:
        found: Principal | None = scope[PRINCIPAL]
        return found
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or not token:
                return None
            try:
                return access_tokens.verify(token)
            except NotAuthenticated:
                return None
    return None
