"""The accounts repositories and the unit of work, on SQLite and PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from encore.accounts.model import MembershipStatus, Plan
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.ids import new_id
from tests.builders import (
    NOW,
    make_membership,
    make_plan_change,
    make_refresh_token,
    make_user,
)
from tests.contract.storing import add_users

CEST = timezone(timedelta(hours=2))

# --- units of work ----------------------------------------------------------------------------


def test_leaving_without_commit_persists_nothing(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user()
    with uow() as unit:
        unit.users.add(user)
        assert unit.users.get(user.id) == user
    with uow(readonly=True) as unit:
        assert unit.users.get(user.id) is None
        assert unit.users.count() == 0


def test_an_exception_rolls_back_and_propagates(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user()

    def fail_midway() -> None:
        with uow() as unit:
            unit.users.add(user)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_midway()
    with uow(readonly=True) as unit:
        assert unit.users.get(user.id) is None


def test_rollback_discards_and_the_unit_goes_on(uow: SqlUnitOfWorkFactory) -> None:
    discarded, kept = make_user(), make_user()
    with uow() as unit:
        unit.users.add(discarded)
        unit.rollback()
        unit.users.add(kept)
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.users.get(discarded.id) is None
        assert unit.users.get(kept.id) == kept


def test_unit_outside_its_block_refuses(uow: SqlUnitOfWorkFactory) -> None:
    with pytest.raises(RuntimeError, match="outside its `with` block"):
        uow().commit()


@pytest.mark.timeout(15)
def test_readonly_unit_reads_beside_an_open_writer(uow: SqlUnitOfWorkFactory) -> None:
    existing, pending = make_user(), make_user()
    add_users(uow, existing)
    with uow() as writer:
        writer.users.add(pending)
        # The writer holds SQLite's write lock; a read-only unit must neither wait nor see it.
        with uow(readonly=True) as reader:
            assert reader.users.get(existing.id) == existing
            assert reader.users.get(pending.id) is None
            assert reader.users.count() == 1
        writer.commit()
    with uow(readonly=True) as reader:
        assert reader.users.count() == 2


# --- users ------------------------------------------------------------------------------------


def test_user_round_trips(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user(plan=Plan.FAMILY, is_admin=True, country="NO", display_name="Åse Ødegård")
    add_users(uow, user)
    with uow(readonly=True) as unit:
        assert unit.users.get(user.id) == user
        assert unit.users.get_by_email(user.email) == user
    with uow() as unit:
        assert unit.users.get_for_update(user.id) == user


def test_missing_user_is_none(uow: SqlUnitOfWorkFactory) -> None:
    with uow() as unit:
        assert unit.users.get(new_id()) is None
        assert unit.users.get_by_email("nobody@example.com") is None
        assert unit.users.get_for_update(new_id()) is None


def test_datetimes_come_back_as_utc(uow: SqlUnitOfWorkFactory) -> None:
    local = datetime(2024, 3, 1, 12, 30, 45, 654321, tzinfo=CEST)
    user = make_user(created_at=local)
    add_users(uow, user)
    with uow(readonly=True) as unit:
        found = unit.users.get(user.id)
    assert found is not None
    assert found.created_at == local
    assert found.created_at.utcoffset() == timedelta(0)
    assert found.created_at == datetime(2024, 3, 1, 10, 30, 45, 654321, tzinfo=UTC)


def test_duplicate_email_is_an_integrity_error(uow: SqlUnitOfWorkFactory) -> None:
    first = make_user()
    add_users(uow, first)
    with uow() as unit, pytest.raises(IntegrityError):
        unit.users.add(make_user(email=first.email))
    with uow(readonly=True) as unit:
        assert unit.users.count() == 1


def test_set_plan(uow: SqlUnitOfWorkFactory) -> None:
    user, bystander = make_user(), make_user()
    add_users(uow, user, bystander)
    with uow() as unit:
        unit.users.set_plan(user.id, Plan.DUO)
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.users.get(user.id) == replace(user, plan=Plan.DUO)
        assert unit.users.get(bystander.id) == bystander


def test_list_pages_by_creation_then_id_and_count(uow: SqlUnitOfWorkFactory) -> None:
    older = make_user(created_at=NOW - timedelta(days=1))
    twins = sorted((make_user(), make_user()), key=lambda user: user.id)
    newer = make_user(created_at=NOW + timedelta(seconds=1))
    add_users(uow, newer, twins[1], older, twins[0])
    with uow(readonly=True) as unit:
        assert unit.users.count() == 4
        assert list(unit.users.list(limit=10, offset=0)) == [older, *twins, newer]
        assert list(unit.users.list(limit=2, offset=1)) == twins
        assert list(unit.users.list(limit=10, offset=4)) == []


# --- plan changes -----------------------------------------------------------------------------


def test_plan_change_round_trips_by_key(uow: SqlUnitOfWorkFactory) -> None:
    user, admin = make_user(), make_user(is_admin=True)
    add_users(uow, user, admin)
    change = make_plan_change(
        user_id=user.id,
        idempotency_key="checkout-42",
        from_plan=Plan.PREMIUM,
        to_plan=Plan.FAMILY,
        changed_by=admin.id,
        reason="support ticket 7",
        changed_at=datetime(2024, 6, 1, 8, 0, tzinfo=CEST),
    )
    with uow() as unit:
        unit.plan_changes.add(change)
        unit.commit()
    with uow(readonly=True) as unit:
        found = unit.plan_changes.get_by_key(user.id, "checkout-42")
        assert found == change
        assert found is not None
        assert found.changed_at.utcoffset() == timedelta(0)
        assert unit.plan_changes.get_by_key(user.id, "another-key") is None
        assert unit.plan_changes.get_by_key(admin.id, "checkout-42") is None


def test_plan_changes_list_in_change_order(uow: SqlUnitOfWorkFactory) -> None:
    user, other = make_user(), make_user()
    add_users(uow, user, other)
    second = make_plan_change(user_id=user.id, changed_at=NOW + timedelta(minutes=1))
    first = make_plan_change(user_id=user.id, changed_at=NOW)
    with uow() as unit:
        for change in (second, make_plan_change(user_id=other.id), first):
            unit.plan_changes.add(change)
        unit.commit()
    with uow(readonly=True) as unit:
        assert list(unit.plan_changes.list_for_user(user.id)) == [first, second]
        assert list(unit.plan_changes.list_for_user(new_id())) == []


def test_idempotency_key_is_unique_per_user(uow: SqlUnitOfWorkFactory) -> None:
    user, other = make_user(), make_user()
    add_users(uow, user, other)
    with uow() as unit:
        unit.plan_changes.add(make_plan_change(user_id=user.id, idempotency_key="k"))
        unit.plan_changes.add(make_plan_change(user_id=other.id, idempotency_key="k"))
        unit.commit()
    with uow() as unit, pytest.raises(IntegrityError):
        unit.plan_changes.add(make_plan_change(user_id=user.id, idempotency_key="k"))


def test_plan_change_needs_an_existing_user(uow: SqlUnitOfWorkFactory) -> None:
    with uow() as unit, pytest.raises(IntegrityError):
        unit.plan_changes.add(make_plan_change(user_id=new_id()))


# --- memberships ------------------------------------------------------------------------------


def test_membership_invite_then_activate(uow: SqlUnitOfWorkFactory) -> None:
    owner, early, late = make_user(plan=Plan.FAMILY), make_user(), make_user()
    add_users(uow, owner, early, late)
    invited_early = make_membership(owner_id=owner.id, member_id=early.id, invited_at=NOW)
    invited_late = make_membership(
        owner_id=owner.id, member_id=late.id, invited_at=NOW + timedelta(hours=1)
    )
    with uow() as unit:
        unit.memberships.add(invited_late)
        unit.memberships.add(invited_early)
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.memberships.get_for_member(early.id) == invited_early
        assert unit.memberships.get_for_member(owner.id) is None
        assert list(unit.memberships.list_for_owner(owner.id)) == [invited_early, invited_late]

    joined = datetime(2024, 5, 18, 20, 0, tzinfo=CEST)
    with uow() as unit:
        unit.memberships.activate(owner.id, early.id, joined)
        unit.commit()
    with uow(readonly=True) as unit:
        active = unit.memberships.get_for_member(early.id)
        assert active is not None
        assert active.status is MembershipStatus.ACTIVE
        assert active.joined_at == joined
        assert active.joined_at.utcoffset() == timedelta(0)
        assert unit.memberships.get_for_member(late.id) == invited_late


def test_listener_belongs_to_one_group(uow: SqlUnitOfWorkFactory) -> None:
    owner, other_owner, member = make_user(), make_user(), make_user()
    add_users(uow, owner, other_owner, member)
    with uow() as unit:
        unit.memberships.add(make_membership(owner_id=owner.id, member_id=member.id))
        unit.commit()
    with uow() as unit, pytest.raises(IntegrityError):
        unit.memberships.add(make_membership(owner_id=other_owner.id, member_id=member.id))


def test_remove_and_remove_all(uow: SqlUnitOfWorkFactory) -> None:
    owner, other_owner = make_user(), make_user()
    members = [make_user() for _ in range(4)]
    add_users(uow, owner, other_owner, *members)
    with uow() as unit:
        for member in members[:3]:
            unit.memberships.add(make_membership(owner_id=owner.id, member_id=member.id))
        unit.memberships.add(make_membership(owner_id=other_owner.id, member_id=members[3].id))
        unit.commit()
    with uow() as unit:
        unit.memberships.remove(owner.id, members[0].id)
        unit.memberships.remove(owner.id, members[3].id)  # not its member: a no-op
        unit.commit()
    with uow() as unit:
        assert unit.memberships.get_for_member(members[0].id) is None
        assert unit.memberships.remove_all(owner.id) == 2
        assert unit.memberships.remove_all(owner.id) == 0
        unit.commit()
    with uow(readonly=True) as unit:
        assert list(unit.memberships.list_for_owner(owner.id)) == []
        assert len(unit.memberships.list_for_owner(other_owner.id)) == 1


# --- refresh tokens ---------------------------------------------------------------------------


def test_refresh_token_round_trips(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user()
    add_users(uow, user)
    fresh = make_refresh_token(user_id=user.id)
    spent = make_refresh_token(
        user_id=user.id,
        family_id=fresh.family_id,
        used_at=NOW + timedelta(hours=1),
        revoked_at=NOW + timedelta(hours=2),
    )
    with uow() as unit:
        unit.refresh_tokens.add(fresh)
        unit.refresh_tokens.add(spent)
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.refresh_tokens.get_by_hash(fresh.token_hash) == fresh
        assert unit.refresh_tokens.get_by_hash(spent.token_hash) == spent
        assert unit.refresh_tokens.get_by_hash("0" * 64) is None


def test_token_hash_is_unique(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user()
    add_users(uow, user)
    token = make_refresh_token(user_id=user.id)
    with uow() as unit:
        unit.refresh_tokens.add(token)
        unit.commit()
    with uow() as unit, pytest.raises(IntegrityError):
        unit.refresh_tokens.add(make_refresh_token(user_id=user.id, token_hash=token.token_hash))


def test_mark_used_wins_once(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user()
    add_users(uow, user)
    token = make_refresh_token(user_id=user.id)
    with uow() as unit:
        unit.refresh_tokens.add(token)
        unit.commit()
    first_use = NOW + timedelta(minutes=5)
    with uow() as unit:
        assert unit.refresh_tokens.mark_used(token.id, first_use) is True
        unit.commit()
    with uow() as unit:
        assert unit.refresh_tokens.mark_used(token.id, first_use + timedelta(minutes=1)) is False
        assert unit.refresh_tokens.mark_used(new_id(), first_use) is False
        unit.commit()
    with uow(readonly=True) as unit:
        found = unit.refresh_tokens.get_by_hash(token.token_hash)
    assert found is not None
    assert found.used_at == first_use


def test_revoke_family(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user()
    add_users(uow, user)
    family = new_id()
    earlier = NOW + timedelta(minutes=1)
    live = make_refresh_token(user_id=user.id, family_id=family)
    already_revoked = make_refresh_token(user_id=user.id, family_id=family, revoked_at=earlier)
    other_family = make_refresh_token(user_id=user.id)
    with uow() as unit:
        for token in (live, already_revoked, other_family):
            unit.refresh_tokens.add(token)
        unit.commit()
    revoked_at = NOW + timedelta(minutes=10)
    with uow() as unit:
        unit.refresh_tokens.revoke_family(family, revoked_at)
        unit.commit()
    with uow(readonly=True) as unit:
        now_revoked = unit.refresh_tokens.get_by_hash(live.token_hash)
        kept = unit.refresh_tokens.get_by_hash(already_revoked.token_hash)
        untouched = unit.refresh_tokens.get_by_hash(other_family.token_hash)
    assert now_revoked is not None
    assert now_revoked.revoked_at == revoked_at
    assert kept is not None
    assert kept.revoked_at == earlier
    assert untouched == other_family


# --- concurrency ------------------------------------------------------------------------------

THREADS = 8
UNITS_PER_THREAD = 20


@pytest.mark.timeout(60)
def test_concurrent_read_then_write_units_serialize(engine: Engine) -> None:
    """Each unit reads the count, then writes a change that records it: no lost update, no
    "database is locked" (SQLite's BEGIN IMMEDIATE; PostgreSQL's row lock of get_for_update)."""
    uow = SqlUnitOfWorkFactory(engine)
    user = make_user()
    add_users(uow, user)
    start = threading.Barrier(THREADS)

    def work(thread: int) -> None:
        start.wait()
        for unit_number in range(UNITS_PER_THREAD):
            with uow() as unit:
                assert unit.users.get_for_update(user.id) is not None
                seen = len(unit.plan_changes.list_for_user(user.id))
                change = make_plan_change(
                    user_id=user.id, idempotency_key=f"{thread}-{unit_number}", reason=str(seen)
                )
                unit.plan_changes.add(change)
                unit.commit()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for finished in [pool.submit(work, thread) for thread in range(THREADS)]:
            finished.result()

    with uow(readonly=True) as unit:
        changes = unit.plan_changes.list_for_user(user.id)
    total = THREADS * UNITS_PER_THREAD
    assert len(changes) == total
    assert sorted(int(change.reason) for change in changes) == list(range(total))
