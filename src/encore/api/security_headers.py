"""Security headers on every answer, and CORS for the origins allowed to call the API.

Outermost of all the middleware, so the fast paths' answers, the audio edge's and the
framework's error pages get the same headers. It only appends a few precomputed header pairs to
the start message: the hot paths pay about a microsecond for it.

- `Content-Security-Policy`: the web player's own files only (no inline script or style, no
  eval), audio and API calls to this origin and the configured CDN origins, never framed.
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (a signed audio URL must not
  leak to another site through Referer), `X-Frame-Options: DENY` for browsers without CSP 3.
- `Strict-Transport-Security` only on answers served over https: uvicorn sets the scheme from
  TLS, or from `X-Forwarded-Proto` sent by a proxy it trusts (`FORWARDED_ALLOW_IPS`).
- `Cache-Control: no-store` on API answers (JSON, problem+json, Subsonic XML) that set no policy
  of their own: they are personal, and a shared cache must never hand one to someone else.
- CORS: only the origins in `cors_origins`; none by default, since the player is served by
  Encore itself (same origin). Bearer tokens, not cookies, authenticate, so credentials are
  never allowed: no `Access-Control-Allow-Credentials`, and never a wildcard.
"""

from collections.abc import Iterable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from encore.api.problems import problem

ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = frozenset(
    {"authorization", "content-type", "if-match", "if-none-match", "idempotency-key", "range"}
)
EXPOSED_HEADERS = "ETag, Location, Retry-After, Content-Range, Idempotent-Replayed"
PREFLIGHT_MAX_AGE_S = 600
_PERSONAL_TYPES = (
    b"application/json",
    b"application/problem+json",
    b"text/xml",
    b"application/xml",
)


def content_security_policy(media_origins: Iterable[str]) -> str:
    """The policy the player runs under; `media_origins` are the CDN edges audio comes from."""
    extra = "".join(f" {origin}" for origin in sorted(set(media_origins)))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            f"media-src 'self' blob:{extra}",
            f"connect-src 'self'{extra}",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeaders:
    def __init__(
        self,
        app: ASGIApp,
        *,
        media_origins: Iterable[str] = (),
        cors_origins: Iterable[str] = (),
        hsts_max_age_s: int = 31_536_000,
    ) -> None:
        self.app = app
        self._always = [
            (b"content-security-policy", content_security_policy(media_origins).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        self._hsts = (
            [(b"strict-transport-security", b"max-age=%d; includeSubDomains" % hsts_max_age_s)]
            if hsts_max_age_s > 0
            else []
        )
        self._cors_origins = frozenset(origin.rstrip("/") for origin in cors_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        allowed = origin is not None and origin in self._cors_origins
        if scope["method"] == "OPTIONS" and origin is not None:
            requested = _header(scope, b"access-control-request-method")
            if requested is not None:
                await self._preflight(scope, receive, send, allowed=allowed, origin=origin)
                return
        added = [*self._always]
        if scope.get("scheme") == "https":
            added += self._hsts
        if allowed:
            assert origin is not None
            added += [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-expose-headers", EXPOSED_HEADERS.encode()),
            ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [pair for pair in added if pair[0] not in present]
                if allowed:  # the answer differs by Origin: say so, beside any other Vary
                    headers = [(n, v) for n, v in headers if n.lower() != b"vary"] + [
                        (b"vary", b", ".join([*_values(headers, b"vary"), b"Origin"]))
                    ]
                if b"cache-control" not in present and _personal(headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _preflight(
        self, scope: Scope, receive: Receive, send: Send, *, allowed: bool, origin: str
    ) -> None:
        asked = _header(scope, b"access-control-request-headers") or ""
        names = {name.strip().lower() for name in asked.split(",") if name.strip()}
        refused = sorted(names - ALLOWED_HEADERS)
        if not allowed or refused:
            detail = (
                f"Requests from {origin[:100]} are not allowed"
                if not allowed
                else f"Headers not allowed: {', '.join(refused)[:200]}"
            )
            response = problem(403, kind="cors-refused", detail=detail, instance=scope["path"])
        else:
            response = _preflight_answer(origin)
        response.headers.update({k.decode(): v.decode() for k, v in self._always})
        await response(scope, receive, send)


def _preflight_answer(origin: str) -> Response:
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ALLOWED_METHODS,
            "Access-Control-Allow-Headers": ", ".join(sorted(ALLOWED_HEADERS)),
            "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
            "Vary": "Origin",
        },
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def _values(headers: list[tuple[bytes, bytes]], name: bytes) -> list[bytes]:
    return [value for key, value in headers if key.lower() == name]


def _personal(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            return value.split(b";")[0].strip().lower() in _PERSONAL_TYPES
    return False
