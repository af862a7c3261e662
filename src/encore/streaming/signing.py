"""Signed audio URLs: who may fetch a file, and until when, without asking the API.

`sig = hex(HMAC-SHA256(key, f"{path}:{exp}"))`, where `path` is the URL path (`/audio/...`) and
`exp` the expiry in Unix seconds. Any edge holding a key checks a URL on its own: Encore's own
`/audio` route and the nginx njs edge implement the same contract.

Keys rotate: the first key signs and every key verifies. To rotate, put the new key first and
keep the old one until every URL it signed has expired (one TTL), then drop it.
"""

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

MIN_KEY_LENGTH = 32
# Unix seconds fit in 12 digits for the next 30,000 years; more is refused before it is parsed.
_EXPIRY = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


class Verdict(Enum):
    VALID = "valid"
    EXPIRED = "expired"  # signed by us, but its time is up
    INVALID = "invalid"  # not signed by any of our keys, or malformed


@dataclass(frozen=True, slots=True)
class SignedUrl:
    path: str
    expires_at: int  # Unix seconds
    signature: str  # lowercase hex

    @property
    def query(self) -> str:
        return f"exp={self.expires_at}&sig={self.signature}"

    @property
    def path_and_query(self) -> str:
        """What follows the edge origin: `/audio/...?exp=...&sig=...`."""
        return f"{self.path}?{self.query}"


class UrlSigner:
    """Signs URL paths with the first key; accepts a signature by any of them."""

    def __init__(self, keys: Sequence[str], *, ttl_s: int) -> None:
        if not keys:
            raise ValueError("a UrlSigner needs at least one key")
        if any(len(key) < MIN_KEY_LENGTH for key in keys):
            raise ValueError(f"URL signing keys need {MIN_KEY_LENGTH} characters or more")
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        self._keys = tuple(_PreparedKey(key.encode()) for key in keys)
        self.ttl_s = ttl_s

    def sign(self, path: str, now: float) -> SignedUrl:
        """A URL for `path` that is good for `ttl_s` seconds from `now` (Unix seconds)."""
        expires_at = int(now) + self.ttl_s
        return SignedUrl(path, expires_at, self._keys[0].digest(path, str(expires_at)).hex())

    def check(self, path: str, exp: str, sig: str, now: float) -> Verdict:
        """Whether `sig` signs (`path`, `exp`) and `exp` is still ahead of `now`.

        Never raises: anything malformed is INVALID. Every key is tried, and each comparison is
        constant-time, so the time taken says nothing about how close a forgery came.
        """
        if _EXPIRY.fullmatch(exp) is None or _SIGNATURE.fullmatch(sig) is None:
            return Verdict.INVALID
        given = bytes.fromhex(sig)
        matched = False
        for key in self._keys:
            matched |= hmac.compare_digest(key.digest(path, exp), given)
        if not matched:
            return Verdict.INVALID
        return Verdict.VALID if int(exp) > now else Verdict.EXPIRED

    def verify(self, path: str, exp: str, sig: str, now: float) -> bool:
        return self.check(path, exp, sig, now) is Verdict.VALID


class _PreparedKey:
    """HMAC-SHA256 with the key's inner and outer pads hashed once (RFC 2104), so that a
    signature costs two small hash updates. `hmac.digest` sets up an OpenSSL context on every
    call and lets go of the GIL around it, which costs several times more on a busy server."""

    def __init__(self, key: bytes) -> None:
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def digest(self, path: str, exp: str) -> bytes:
        inner = self._inner.copy()
        inner.update(f"{path}:{exp}".encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


_BLOCK = 64  # SHA-256's block size
