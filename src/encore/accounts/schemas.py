"""Accounts on the wire."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import AfterValidator, EmailStr, Field, WithJsonSchema

from encore.accounts.model import Account, Membership, MembershipStatus, Plan, PlanChange
from encore.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from encore.api.schemas import RequestBody, ResponseBody
from encore.countries import COUNTRIES, normalize_country


def _country(code: str) -> str:
    country = normalize_country(code)
    if country is None:
        raise ValueError("not an ISO 3166-1 alpha-2 country code")
    return country


CountryCode = Annotated[
    str,
    AfterValidator(_country),
    WithJsonSchema(
        {"type": "string", "enum": sorted(COUNTRIES), "description": "ISO 3166-1 alpha-2"}
    ),
]
Password = Annotated[str, Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)]


class UserCreate(RequestBody):
    email: EmailStr = Field(max_length=320)
    password: Password
    country: CountryCode
    display_name: str | None = Field(default=None, min_length=1, max_length=100)


class UserUpdate(RequestBody):
    country: CountryCode | None = Field(
        default=None,
        description="Where the listener lives: decides which tracks are licensed to them and "
        "what is popular around them",
    )
    display_name: str | None = Field(default=None, min_length=1, max_length=100)


class MembershipRead(ResponseBody):
    owner_id: str
    member_id: str
    status: MembershipStatus
    invited_at: datetime
    joined_at: datetime | None

    @classmethod
    def of(cls, membership: Membership) -> Self:
        return cls(
            owner_id=membership.owner_id,
            member_id=membership.member_id,
            status=membership.status,
            invited_at=membership.invited_at,
            joined_at=membership.joined_at,
        )


class UserRead(ResponseBody):
    id: str
    email: str
    display_name: str
    country: str
    plan: Plan = Field(description="The plan this account pays for")
    product: Plan = Field(
        description="The plan this account enjoys (a family member's is the family's)"
    )
    is_admin: bool
    created_at: datetime
    membership: MembershipRead | None

    @classmethod
    def of(cls, account: Account) -> Self:
        user = account.user
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            country=user.country,
            plan=user.plan,
            product=account.effective_plan,
            is_admin=user.is_admin,
            created_at=user.created_at,
            membership=MembershipRead.of(account.membership) if account.membership else None,
        )


class TokenRead(ResponseBody):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int
    refresh_token: str


class PlanChangeCreate(RequestBody):
    plan: Plan
    reason: str = Field(default="", max_length=255)


class PlanChangeRead(ResponseBody):
    id: str
    from_plan: Plan
    to_plan: Plan
    changed_at: datetime
    replayed: bool = False
    account: UserRead | None = None

    @classmethod
    def of(
        cls, change: PlanChange, *, replayed: bool = False, account: Account | None = None
    ) -> Self:
        return cls(
            id=change.id,
            from_plan=change.from_plan,
            to_plan=change.to_plan,
            changed_at=change.changed_at,
            replayed=replayed,
            account=UserRead.of(account) if account else None,
        )


class MemberInvite(RequestBody):
    email: EmailStr = Field(max_length=320)
