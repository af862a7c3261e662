"""Access tokens (short-lived JWTs) and refresh tokens (opaque, stored hashed, rotated)."""

import hashlib
import secrets
import threading
import time
from collections.abc import Callable

import jwt

from encore.accounts.model import Principal
from encore.errors import NotAuthenticated

ISSUER = "encore"
ALGORITHM = "HS256"


class AccessTokens:
    """Issues and verifies access tokens.

    Verification sits on every authenticated request, so a verified token is remembered until it
    expires: the signature is checked once per token, not once per request.
    """

    def __init__(
        self,
        key: bytes,
        *,
        ttl_s: int,
        clock: Callable[[], float] = time.time,
        remember: int = 50_000,
    ) -> None:
        self._key = key
        self.ttl_s = ttl_s
        self._clock = clock
        self._remember = remember
        self._verified: dict[str, Principal] = {}
        self._lock = threading.Lock()

    def issue(self, user_id: str) -> str:
        now = int(self._clock())
        claims = {
            "iss": ISSUER,
            "sub": user_id,
            "iat": now,
            "exp": now + self.ttl_s,
            "typ": "access",
            "jti": secrets.token_urlsafe(8),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        principal = self._verified.get(token)
        if principal is None:
            principal = self._decode(token)
            with self._lock:
                if len(self._verified) >= self._remember:
                    self._verified.clear()
                self._verified[token] = principal
        if principal.expires_at <= self._clock():
            self._verified.pop(token, None)
            raise NotAuthenticated("The access token has expired", reason="expired")
        return principal

    def _decode(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"], "verify_exp": False},
            )
        except jwt.PyJWTError:
            raise NotAuthenticated("The access token is not valid", reason="invalid") from None
        if claims.get("typ") != "access" or not isinstance(claims["sub"], str):
            raise NotAuthenticated("The access token is not valid", reason="invalid")
        return Principal(user_id=claims["sub"], expires_at=float(claims["exp"]))


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
