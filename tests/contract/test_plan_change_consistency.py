"""Plan changes are strongly consistent on every SQL backend: one transaction, one audit row per
idempotency key, and an audit chain that always agrees with the user's plan, however many
requests race."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import pairwise

import pytest

from encore.accounts.login_guard import LoginGuard
from encore.accounts.model import Plan
from encore.accounts.passwords import Passwords
from encore.accounts.service import AccountService, PlanChangeResult
from encore.accounts.tokens import AccessTokens
from encore.adapters.cache.memory import MemoryCache
from encore.adapters.rate_limit.memory import MemoryRateLimiter
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.errors import Conflict, InvalidInput


@pytest.fixture
def accounts(uow: SqlUnitOfWorkFactory) -> AccountService:
    return AccountService(
        uow=uow,
        passwords=Passwords(time_cost=1, memory_cost_kib=256),
        access_tokens=AccessTokens(b"k" * 32, ttl_s=900),
        cache=(cache := MemoryCache(max_entries=1000)),
        refresh_ttl=timedelta(days=1),
        signup_open=True,
        login_guard=LoginGuard(
            cache=cache, limiter=MemoryRateLimiter(), attempts_per_minute=10, max_delay_s=0
        ),
    )


def test_racing_repeats_of_one_key_change_the_plan_once(accounts: AccountService) -> None:
    user = accounts.add_user(email="ada@example.com", password="correct horse", country="SE")

    def change(_: int) -> PlanChangeResult:
        return accounts.change_plan(
            user_id=user.id, plan=Plan.PREMIUM, idempotency_key="checkout-1", changed_by=user.id
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(change, range(16)))
    assert len({result.change.id for result in results}) == 1
    assert sum(not result.replayed for result in results) == 1
    assert len(accounts.plan_history(user.id)) == 1
    assert accounts.get_account(user.id).user.plan is Plan.PREMIUM


def test_racing_changes_leave_an_unbroken_audit_chain(accounts: AccountService) -> None:
    user = accounts.add_user(email="ada@example.com", password="correct horse", country="SE")
    plans = [Plan.PREMIUM, Plan.DUO, Plan.FAMILY, Plan.FREE] * 6

    def change(n: int) -> None:
        accounts.change_plan(
            user_id=user.id, plan=plans[n], idempotency_key=f"key-{n}", changed_by=user.id
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(change, range(len(plans))))
    history = accounts.plan_history(user.id)
    assert len(history) == len(plans)
    # Each change starts from where the one before it ended; the last one is the plan now.
    ordered = sorted(history, key=lambda c: c.changed_at)
    assert ordered[0].from_plan is Plan.FREE
    for before, after in pairwise(ordered):
        assert after.from_plan is before.to_plan
    assert accounts.get_account(user.id).user.plan is ordered[-1].to_plan


def test_refused_change_stores_nothing(accounts: AccountService) -> None:
    owner = accounts.add_user(email="owner@example.com", password="correct horse", country="SE")
    accounts.change_plan(
        user_id=owner.id, plan=Plan.FAMILY, idempotency_key="a", changed_by=owner.id
    )
    for n in range(2):
        accounts.add_user(email=f"m{n}@example.com", password="correct horse", country="SE")
        accounts.invite_member(owner_id=owner.id, email=f"m{n}@example.com")
    with pytest.raises(Conflict):
        accounts.change_plan(
            user_id=owner.id, plan=Plan.DUO, idempotency_key="b", changed_by=owner.id
        )
    with pytest.raises(InvalidInput):
        accounts.change_plan(
            user_id=owner.id, plan=Plan.DUO, idempotency_key="", changed_by=owner.id
        )
    assert [c.to_plan for c in accounts.plan_history(owner.id)] == [Plan.FAMILY]
    assert len(accounts.members(owner.id)) == 2
