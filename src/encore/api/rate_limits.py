"""Rate limits on the API's sign-in, search, stream-URL and listening-event routes.

A limited request costs a bucket take (and the bearer token's verification, which the routes
behind then need not repeat); no other request pays anything. The Subsonic API is limited in its
own route, which knows who a request speaks for only after authenticating it.
"""

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from encore.accounts.model import Principal
from encore.accounts.tokens import AccessTokens
from encore.api.problems import error_problem
from encore.errors import NotAuthenticated, RateLimited
from encore.rate_limits import RouteClass, RouteLimits

# The scope key under which a verified bearer token's listener (or None) is left.
PRINCIPAL = "encore.principal"
ROUTE_CLASSES: dict[tuple[str, str], RouteClass] = {
    ("POST", "/api/v1/auth/token"): "login",
    ("GET", "/api/v1/search"): "search",
    ("GET", "/api/v1/search/suggest"): "search",
    ("POST", "/api/v1/me/player/events"): "events",
}


class RouteRateLimits:
    """The limits of the routes named in `ROUTE_CLASSES`; the stream-URL fast path applies its
    own (see `limited`), so that neither it nor the catalog documents and audio bytes behind it
    pass through one more layer."""

    def __init__(self, app: ASGIApp, *, limits: RouteLimits, access_tokens: AccessTokens) -> None:
        self.app = app
        self._limits = limits
        self._access_tokens = access_tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route_class = ROUTE_CLASSES.get((scope["method"], scope["path"]))
            if route_class is not None:
                refusal = limited(scope, route_class, self._limits, self._access_tokens)
                if refusal is not None:
                    await refusal(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def limited(
    scope: Scope, route_class: RouteClass, limits: RouteLimits, access_tokens: AccessTokens
) -> Response | None:
    """The 429 answer when the asker's bucket for `route_class` is empty, else None. The
    listener the bearer token speaks for is left in the scope, for the routes behind."""
    principal = bearer_principal(scope, access_tokens)
    scope[PRINCIPAL] = principal
    if principal is not None:
        user_id, client = principal.user_id, ""
    else:
        found = scope.get("client")
        user_id, client = None, found[0] if found else ""
    try:
        limits.check(route_class, user_id=user_id, client=client)
    except RateLimited as error:
        return error_problem(error, instance=scope["path"])
    return None


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
