"""Sealing a short secret with a key: encrypt-then-MAC from the standard library alone.

Subsonic's token authentication (t = md5(password + salt)) needs the password itself, so it is
kept sealed rather than hashed. The keystream is HMAC-SHA256 over (nonce, block counter), a
pseudo-random function in counter mode; the tag is HMAC-SHA256 over (nonce, ciphertext) with a
second key. A fresh random nonce per seal means no two seals share a keystream.
"""

import base64
import hashlib
import hmac
import secrets

NONCE_BYTES = 16
TAG_BYTES = 16


class Unsealable(ValueError):
    """Not something this key sealed (or it was altered)."""


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._encryption = hmac.new(key, b"seal:encrypt", hashlib.sha256).digest()
        self._authentication = hmac.new(key, b"seal:authenticate", hashlib.sha256).digest()

    def seal(self, plain: str) -> str:
        data = plain.encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        cipher = bytes(a ^ b for a, b in zip(data, self._keystream(nonce, len(data)), strict=True))
        tag = self._tag(nonce, cipher)
        return base64.urlsafe_b64encode(nonce + cipher + tag).decode()

    def open(self, sealed: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(sealed.encode())
        except ValueError:
            raise Unsealable("not base64") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise Unsealable("too short")
        nonce, cipher, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
        if not hmac.compare_digest(tag, self._tag(nonce, cipher)):
            raise Unsealable("wrong key or altered")
        plain = bytes(
            a ^ b for a, b in zip(cipher, self._keystream(nonce, len(cipher)), strict=True)
        )
        return plain.decode()

    def _keystream(self, nonce: bytes, length: int) -> bytes:
        blocks = [
            hmac.new(self._encryption, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest()
            for counter in range((length + 31) // 32)
        ]
        return b"".join(blocks)[:length]

    def _tag(self, nonce: bytes, cipher: bytes) -> bytes:
        return hmac.new(self._authentication, nonce + cipher, hashlib.sha256).digest()[:TAG_BYTES]
