"""Per-purpose keys derived from the one master secret, so no two uses share a key."""

import hashlib
import hmac


def derive_key(master: bytes, purpose: str) -> bytes:
    return hmac.new(master, f"encore:{purpose}".encode(), hashlib.sha256).digest()
