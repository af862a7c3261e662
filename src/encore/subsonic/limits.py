"""Rate limits and the sign-in guard on the Subsonic API, the same as on Encore's own.

A Subsonic client signs in with every request (`u` and a password or token, or an API key), so
only failed authentications count as sign-in attempts: against the client address's `login`
bucket and, for a username, the account's guard (see `encore.accounts.login_guard`). After
authenticating, `search3`, `stream` and `scrobble` draw on the listener's `search`, `stream` and
`events` buckets.
"""

from contextlib import suppress

from encore.accounts.login_guard import LoginGuard
from encore.accounts.service import normalize_email
from encore.errors import RateLimited
from encore.rate_limits import RouteClass, RouteLimits
from encore.subsonic.auth import authenticate
from encore.subsonic.credentials import SubsonicCredentials
from encore.subsonic.facade import Caller
from encore.subsonic.protocol import ErrorCode, Params, SubsonicError

ROUTE_CLASSES: dict[str, RouteClass] = {
    "search3": "search",
    "stream": "stream",
    "scrobble": "events",
}
FAILED_SIGN_IN = frozenset({ErrorCode.WRONG_CREDENTIALS, ErrorCode.INVALID_API_KEY})
TOO_MANY = "Too many failed sign-in attempts; wait a minute"


class LimitedSignIn:
    def __init__(
        self,
        *,
        credentials: SubsonicCredentials,
        limits: RouteLimits,
        guard: LoginGuard,
        password_auth: bool,
    ) -> None:
        self._credentials = credentials
        self._limits = limits
        self._guard = guard
        self._password_auth = password_auth

    def delay_s(self, params: Params) -> float:
        """How long to wait before authenticating (see `LoginGuard.delay_s`)."""
        username = params.get("u")
        return self._guard.delay_s(normalize_email(username)) if username else 0.0

    def caller(self, method: str, params: Params, client: str) -> Caller:
        """Who the request speaks for, once the sign-in and the method's limits allow it."""
        self._limits.check("login", user_id=None, client=client, spend=False)
        username = params.get("u")
        account = normalize_email(username) if username else None
        if account:
            self._guard.check(account, client, TOO_MANY)
        try:
            caller = authenticate(self._credentials, params, password_auth=self._password_auth)
        except SubsonicError as error:
            if error.code in FAILED_SIGN_IN:
                self._failed(account, client)
            raise
        route_class = ROUTE_CLASSES.get(method)
        if route_class is not None:
            self._limits.check(route_class, user_id=caller.user_id, client=client)
        return caller

    def _failed(self, account: str | None, client: str) -> None:
        if account:
            self._guard.failed(account, client)
        # This failure is answered as one; the next attempt gets the 429.
        with suppress(RateLimited):
            self._limits.check("login", user_id=None, client=client)
