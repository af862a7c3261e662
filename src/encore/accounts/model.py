"""Listeners, their plans and the family / duo groups that share one."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Plan(StrEnum):
    FREE = "free"
    PREMIUM = "premium"
    FAMILY = "family"
    DUO = "duo"

    @property
    def includes_high_quality(self) -> bool:
        """Very high (320 kbps) and lossless streams come with every paid plan."""
        return self is not Plan.FREE

    @property
    def max_accounts(self) -> int:
        """Accounts a plan covers, the owner's included."""
        return {Plan.FAMILY: 6, Plan.DUO: 2}.get(self, 1)

    @property
    def is_shared(self) -> bool:
        return self.max_accounts > 1


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    password_hash: str
    display_name: str
    country: str
    plan: Plan
    is_admin: bool
    created_at: datetime


class MembershipStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class Membership:
    """A listener in someone else's family or duo plan."""

    owner_id: str
    member_id: str
    status: MembershipStatus
    invited_at: datetime
    joined_at: datetime | None


@dataclass(frozen=True, slots=True)
class Entitlement:
    """What a listener may stream, where: all a playback request needs to know of them."""

    user_id: str
    country: str
    plan: Plan

    def encode(self) -> bytes:
        return f"{self.country}:{self.plan.value}".encode()

    @classmethod
    def decode(cls, user_id: str, data: bytes) -> "Entitlement":
        country, _, plan = data.decode().partition(":")
        return cls(user_id=user_id, country=country, plan=Plan(plan))


@dataclass(frozen=True, slots=True)
class Account:
    """A user as the rest of Encore sees them: with the plan they actually enjoy."""

    user: User
    effective_plan: Plan
    membership: Membership | None

    @property
    def id(self) -> str:
        return self.user.id


@dataclass(frozen=True, slots=True)
class PlanChange:
    """The audit row of a plan change, also the idempotency record for its key."""

    id: str
    user_id: str
    idempotency_key: str
    from_plan: Plan
    to_plan: Plan
    changed_by: str
    reason: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class RefreshToken:
    id: str
    user_id: str
    family_id: str
    token_hash: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str


@dataclass(frozen=True, slots=True)
class Principal:
    """Who an access token speaks for."""

    user_id: str
    expires_at: float
