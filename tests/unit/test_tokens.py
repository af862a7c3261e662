import time

import jwt
import pytest

from encore.accounts.tokens import AccessTokens, hash_refresh_token, new_refresh_token
from encore.errors import NotAuthenticated

KEY = b"k" * 64


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_issued_token_verifies_to_its_user() -> None:
    tokens = AccessTokens(KEY, ttl_s=900)
    principal = tokens.verify(tokens.issue("user-1"))
    assert principal.user_id == "user-1"


def test_token_expires_even_after_it_was_remembered() -> None:
    clock = Clock()
    tokens = AccessTokens(KEY, ttl_s=60, clock=clock)
    token = tokens.issue("user-1")
    tokens.verify(token)
    clock.now += 61
    with pytest.raises(NotAuthenticated, match="expired"):
        tokens.verify(token)


def test_token_signed_with_another_key_is_refused() -> None:
    theirs = AccessTokens(b"x" * 32, ttl_s=60).issue("user-1")
    with pytest.raises(NotAuthenticated):
        AccessTokens(KEY, ttl_s=60).verify(theirs)


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "encore", "sub": "u", "iat": 1, "exp": 2**40, "typ": "refresh"},
        {"iss": "someone", "sub": "u", "iat": 1, "exp": 2**40, "typ": "access"},
        {"iss": "encore", "iat": 1, "exp": 2**40, "typ": "access"},
        {"iss": "encore", "sub": "u", "iat": 1, "typ": "access"},
        {"iss": "encore", "sub": 7, "iat": 1, "exp": 2**40, "typ": "access"},
    ],
)
def test_tokens_with_wrong_claims_are_refused(claims: dict[str, object]) -> None:
    with pytest.raises(NotAuthenticated):
        AccessTokens(KEY, ttl_s=60).verify(jwt.encode(claims, KEY, algorithm="HS256"))


def test_algorithm_confusion_is_refused() -> None:
    claims = {"iss": "encore", "sub": "u", "iat": 1, "exp": 2**40, "typ": "access"}
    with pytest.raises(NotAuthenticated):
        AccessTokens(KEY, ttl_s=60).verify(jwt.encode(claims, KEY, algorithm="HS512"))


def test_memory_of_verified_tokens_is_bounded() -> None:
    tokens = AccessTokens(KEY, ttl_s=60, remember=3)
    for n in range(10):
        tokens.verify(tokens.issue(f"user-{n}"))
    assert len(tokens._verified) <= 3


def test_refresh_tokens_are_random_and_stored_hashed() -> None:
    first, second = new_refresh_token(), new_refresh_token()
    assert first != second and len(first) >= 40
    assert hash_refresh_token(first) != first
    assert len(hash_refresh_token(first)) == 64
