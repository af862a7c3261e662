"""Opaque, URL-safe identifiers.

IDs are 22 base62 characters (about 131 random bits), like Spotify's. They are also safe as path
segments, which the media layout `audio/{id[0:2]}/{id[2:4]}/{id}/...` relies on.
"""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ID_LENGTH = 22
_ID_PATTERN = re.compile(rf"[0-9A-Za-z]{{{ID_LENGTH}}}")


def new_id() -> str:
    return id_from_digest(secrets.token_bytes(17))


def id_from_digest(digest: bytes) -> str:
    """An id made from 17 or more bytes of a hash or of randomness (136 bits: every id is
    possible, and the mapping is one-to-one enough for ids)."""
    number = int.from_bytes(digest[:17], "big")
    digits = []
    for _ in range(ID_LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(digits)


def is_valid_id(candidate: str) -> bool:
    return _ID_PATTERN.fullmatch(candidate) is not None
