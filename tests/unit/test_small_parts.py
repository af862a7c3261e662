"""Identifiers, countries, passwords, plans and the error-to-status mapping."""

import pytest

from encore import errors
from encore.accounts.model import Plan
from encore.accounts.passwords import Passwords
from encore.api.problems import error_problem, status_of
from encore.countries import normalize_country
from encore.ids import ID_LENGTH, is_valid_id, new_id


def test_ids_are_opaque_url_safe_and_unique() -> None:
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == ID_LENGTH and i.isalnum() and is_valid_id(i) for i in ids)
    assert not is_valid_id("../../etc/passwd")
    assert not is_valid_id("a" * 21)


def test_countries() -> None:
    assert normalize_country(" se ") == "SE"
    assert normalize_country("QQ") is None
    assert normalize_country("Sweden") is None


def test_plans() -> None:
    assert not Plan.FREE.includes_high_quality
    assert all(p.includes_high_quality for p in (Plan.PREMIUM, Plan.FAMILY, Plan.DUO))
    assert (Plan.FAMILY.max_accounts, Plan.DUO.max_accounts, Plan.PREMIUM.max_accounts) == (6, 2, 1)


def test_passwords_verify_and_unknown_users_still_pay_for_a_hash() -> None:
    passwords = Passwords(time_cost=1, memory_cost_kib=256)
    stored = passwords.hash("correct horse")
    assert passwords.verify(stored, "correct horse")
    assert not passwords.verify(stored, "wrong horse")
    assert not passwords.verify("not a hash", "correct horse")
    calls: list[str] = []
    real = passwords._hasher
    decoy = passwords._decoy  # made on first use

    class CountingHasher:
        def verify(self, hash_: str, password: str) -> bool:
            calls.append(hash_)
            return real.verify(hash_, password)

    passwords._hasher = CountingHasher()  # type: ignore[assignment]
    # Even the decoy's own password does not sign in a missing account.
    assert not passwords.verify(None, "encore-decoy-password")
    assert calls == [decoy]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.InvalidInput("x"), 422),
        (errors.NotAuthenticated("x"), 401),
        (errors.PermissionDenied("x"), 403),
        (errors.PlanRequired("x"), 403),
        (errors.NotFound("x"), 404),
        (errors.AlreadyExists("x"), 409),
        (errors.Conflict("x"), 409),
        (errors.PreconditionFailed("x"), 412),
        (errors.RateLimited("x", retry_after_s=1), 429),
        (errors.Unavailable("x", retry_after_s=5), 503),
        (errors.NotLicensed("x"), 451),
    ],
)
def test_every_domain_error_has_its_status(error: errors.EncoreError, status: int) -> None:
    assert status_of(error) == status


@pytest.mark.parametrize(
    "error",
    [errors.RateLimited("x", retry_after_s=7), errors.Unavailable("x", retry_after_s=7)],
)
def test_an_error_that_says_when_to_try_again_says_it_in_retry_after(
    error: errors.EncoreError,
) -> None:
    answer = error_problem(error, instance="/api/v1/me/player/events")
    assert answer.headers["Retry-After"] == "7"
    assert answer.headers["Content-Type"] == "application/problem+json"
