"""SQL repositories of the accounts domain."""

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from encore.accounts.model import (
    Membership,
    MembershipStatus,
    Plan,
    PlanChange,
    RefreshToken,
    User,
)
from encore.adapters.sql.tables import plan_changes, plan_members, refresh_tokens, users


def _user(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        password_hash=row.password_hash,
        display_name=row.display_name,
        country=row.country,
        plan=Plan(row.plan),
        is_admin=row.is_admin,
        created_at=row.created_at,
    )


class SqlUserRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, user: User) -> None:
        self._c.execute(users.insert().values(**asdict(user)))

    def get(self, user_id: str) -> User | None:
        row = self._c.execute(select(users).where(users.c.id == user_id)).first()
        return _user(row) if row else None

    def get_by_email(self, email: str) -> User | None:
        row = self._c.execute(select(users).where(users.c.email == email)).first()
        return _user(row) if row else None

    def get_for_update(self, user_id: str) -> User | None:
        query = select(users).where(users.c.id == user_id)
        if (
            self._c.dialect.name != "sqlite"
        ):  # SQLite's IMMEDIATE transaction already holds the lock
            query = query.with_for_update()
        row = self._c.execute(query).first()
        return _user(row) if row else None

    def set_plan(self, user_id: str, plan: Plan) -> None:
        self._c.execute(update(users).where(users.c.id == user_id).values(plan=plan.value))

    def set_country(self, user_id: str, country: str) -> None:
        self._c.execute(update(users).where(users.c.id == user_id).values(country=country))

    def set_display_name(self, user_id: str, display_name: str) -> None:
        self._c.execute(
            update(users).where(users.c.id == user_id).values(display_name=display_name)
        )

    def find_by_display_name(self, display_name: str, *, limit: int) -> Sequence[User]:
        query = (
            select(users)
            .where(func.lower(users.c.display_name) == display_name.strip().lower())
            .order_by(users.c.created_at, users.c.id)
            .limit(limit)
        )
        return [_user(row) for row in self._c.execute(query)]

    def list(self, *, limit: int, offset: int) -> Sequence[User]:
        query = select(users).order_by(users.c.created_at, users.c.id).limit(limit).offset(offset)
        return [_user(row) for row in self._c.execute(query)]

    def count(self) -> int:
        return int(self._c.execute(select(func.count()).select_from(users)).scalar_one())


def _plan_change(row: Any) -> PlanChange:
    return PlanChange(
        id=row.id,
        user_id=row.user_id,
        idempotency_key=row.idempotency_key,
        from_plan=Plan(row.from_plan),
        to_plan=Plan(row.to_plan),
        changed_by=row.changed_by,
        reason=row.reason,
        changed_at=row.changed_at,
    )


class SqlPlanChangeRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, change: PlanChange) -> None:
        self._c.execute(plan_changes.insert().values(**asdict(change)))

    def get_by_key(self, user_id: str, idempotency_key: str) -> PlanChange | None:
        row = self._c.execute(
            select(plan_changes).where(
                plan_changes.c.user_id == user_id,
                plan_changes.c.idempotency_key == idempotency_key,
            )
        ).first()
        return _plan_change(row) if row else None

    def list_for_user(self, user_id: str) -> Sequence[PlanChange]:
        query = (
            select(plan_changes)
            .where(plan_changes.c.user_id == user_id)
            .order_by(plan_changes.c.changed_at, plan_changes.c.id)
        )
        return [_plan_change(row) for row in self._c.execute(query)]


def _membership(row: Any) -> Membership:
    return Membership(
        owner_id=row.owner_id,
        member_id=row.member_id,
        status=MembershipStatus(row.status),
        invited_at=row.invited_at,
        joined_at=row.joined_at,
    )


class SqlMembershipRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, membership: Membership) -> None:
        self._c.execute(plan_members.insert().values(**asdict(membership)))

    def get_for_member(self, member_id: str) -> Membership | None:
        row = self._c.execute(
            select(plan_members).where(plan_members.c.member_id == member_id)
        ).first()
        return _membership(row) if row else None

    def list_for_owner(self, owner_id: str) -> Sequence[Membership]:
        query = (
            select(plan_members)
            .where(plan_members.c.owner_id == owner_id)
            .order_by(plan_members.c.invited_at, plan_members.c.member_id)
        )
        return [_membership(row) for row in self._c.execute(query)]

    def activate(self, owner_id: str, member_id: str, joined_at: datetime) -> None:
        self._c.execute(
            update(plan_members)
            .where(plan_members.c.owner_id == owner_id, plan_members.c.member_id == member_id)
            .values(status=MembershipStatus.ACTIVE.value, joined_at=joined_at)
        )

    def remove(self, owner_id: str, member_id: str) -> None:
        self._c.execute(
            delete(plan_members).where(
                plan_members.c.owner_id == owner_id, plan_members.c.member_id == member_id
            )
        )

    def remove_all(self, owner_id: str) -> int:
        result = self._c.execute(delete(plan_members).where(plan_members.c.owner_id == owner_id))
        return int(result.rowcount)


def _refresh_token(row: Any) -> RefreshToken:
    return RefreshToken(
        id=row.id,
        user_id=row.user_id,
        family_id=row.family_id,
        token_hash=row.token_hash,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        revoked_at=row.revoked_at,
    )


class SqlRefreshTokenRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, token: RefreshToken) -> None:
        self._c.execute(refresh_tokens.insert().values(**asdict(token)))

    def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        row = self._c.execute(
            select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        ).first()
        return _refresh_token(row) if row else None

    def mark_used(self, token_id: str, used_at: datetime) -> bool:
        result = self._c.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.id == token_id, refresh_tokens.c.used_at.is_(None))
            .values(used_at=used_at)
        )
        return bool(result.rowcount == 1)

    def revoke_family(self, family_id: str, revoked_at: datetime) -> None:
        self._c.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=revoked_at)
        )
