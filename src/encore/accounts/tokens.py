"""Access tokens (short-lived JWTs) and refresh tokens (opaque, stored hashed, rotated)."""

import hashlib
import secrets
import threading
import time
from collections.abc import Callable

import jwt

from encore.accounts.model import Principal
from encore.cache import Cache
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
        revocations: Cache | None = None,
    ) -> None:
        self._key = key
        self.ttl_s = ttl_s
        self._clock = clock
        self._remember = remember
        self._verified: dict[str, Principal] = {}
        self._lock = threading.Lock()
        # Listeners whose every token was revoked (their account was deleted): in the cache the
        # API nodes share, for as long as a token issued before could live.
        self._revocations = revocations
        self._revoked_here: dict[str, float] = {}

    def revoke_subject(self, user_id: str) -> None:
        """Refuse every access token of this user from now on (until they would have expired)."""
        until = self._clock() + self.ttl_s
        with self._lock:
            self._revoked_here = {u: t for u, t in self._revoked_here.items() if t > self._clock()}
            self._revoked_here[user_id] = until
            for token in [t for t, p in self._verified.items() if p.user_id == user_id]:
                del self._verified[token]
        if self._revocations is not None:
            self._revocations.set(_revoked_key(user_id), b"1", ttl_s=self.ttl_s + 60)

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
        if self._revoked(principal.user_id):
            raise NotAuthenticated("This account was deleted", reason="revoked")
        return principal

    def _revoked(self, user_id: str) -> bool:
        if user_id in self._revoked_here:
            return True
        return (
            self._revocations is not None
            and self._revocations.get(_revoked_key(user_id)) is not None
        )

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


def _revoked_key(user_id: str) -> str:
    return f"revoked-user:{user_id}"


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
