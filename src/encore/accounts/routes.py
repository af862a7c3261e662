"""Sign-up, tokens, the current user and their plan."""

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Header, Request, Response, status
from starlette.concurrency import run_in_threadpool

from encore.accounts.schemas import (
    MemberInvite,
    MembershipRead,
    PlanChangeCreate,
    PlanChangeRead,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from encore.api.deps import AccountsDep, CurrentPrincipal
from encore.countries import COUNTRIES
from encore.errors import InvalidInput

router = APIRouter(prefix="/api/v1", tags=["accounts"])

IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)]


@router.post("/users", status_code=status.HTTP_201_CREATED)
def sign_up(body: UserCreate, accounts: AccountsDep, response: Response) -> UserRead:
    account = accounts.sign_up(
        email=body.email,
        password=body.password,
        country=body.country,
        display_name=body.display_name,
    )
    response.headers["Location"] = "/api/v1/me"
    return UserRead.of(account)


@router.post("/auth/token")
async def token(
    request: Request,
    accounts: AccountsDep,
    grant_type: Annotated[Literal["password", "refresh_token"], Form()],
    username: Annotated[str | None, Form(max_length=320)] = None,
    password: Annotated[str | None, Form(max_length=1024)] = None,
    refresh_token: Annotated[str | None, Form(max_length=200)] = None,
) -> TokenRead:
    """OAuth2 password grant, and the refresh-token grant that rotates the refresh token."""
    if grant_type == "password":
        if not username or not password:
            raise InvalidInput("The password grant needs `username` and `password`")
        client = request.client.host if request.client else ""
        # An account that keeps failing answers slowly; the wait holds no thread.
        delay_s = accounts.sign_in_delay_s(username)
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        pair = await run_in_threadpool(
            accounts.sign_in, email=username, password=password, client=client
        )
    else:
        if not refresh_token:
            raise InvalidInput("The refresh_token grant needs `refresh_token`")
        pair = await run_in_threadpool(accounts.refresh, refresh_token)
    return TokenRead(
        access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token
    )


@router.post("/auth/revoke", status_code=status.HTTP_200_OK)
def revoke(accounts: AccountsDep, token: Annotated[str, Form(max_length=200)]) -> dict[str, str]:
    """Sign out: the refresh token and every token rotated from the same sign-in stop working."""
    accounts.sign_out(token)
    return {"status": "revoked"}


@router.get("/markets")
def markets() -> dict[str, list[str]]:
    """The countries a listener can live in (ISO 3166-1 alpha-2), as Spotify's `/v1/markets`."""
    return {"markets": sorted(COUNTRIES)}


@router.get("/me")
def me(principal: CurrentPrincipal, accounts: AccountsDep) -> UserRead:
    return UserRead.of(accounts.get_account(principal.user_id))


@router.patch("/me")
def update_me(body: UserUpdate, principal: CurrentPrincipal, accounts: AccountsDep) -> UserRead:
    return UserRead.of(
        accounts.update_profile(
            user_id=principal.user_id, country=body.country, display_name=body.display_name
        )
    )


@router.put("/me/plan")
def change_plan(
    body: PlanChangeCreate,
    principal: CurrentPrincipal,
    accounts: AccountsDep,
    idempotency_key: IdempotencyKey,
    response: Response,
) -> PlanChangeRead:
    result = accounts.change_plan(
        user_id=principal.user_id,
        plan=body.plan,
        idempotency_key=idempotency_key,
        changed_by=principal.user_id,
        reason=body.reason,
    )
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return PlanChangeRead.of(result.change, replayed=result.replayed, account=result.account)


@router.get("/me/plan/history")
def plan_history(principal: CurrentPrincipal, accounts: AccountsDep) -> list[PlanChangeRead]:
    return [PlanChangeRead.of(change) for change in accounts.plan_history(principal.user_id)]


@router.get("/me/plan/members")
def members(principal: CurrentPrincipal, accounts: AccountsDep) -> list[MembershipRead]:
    return [MembershipRead.of(m) for m in accounts.members(principal.user_id)]


@router.post("/me/plan/members", status_code=status.HTTP_201_CREATED)
def invite(
    body: MemberInvite, principal: CurrentPrincipal, accounts: AccountsDep
) -> MembershipRead:
    return MembershipRead.of(accounts.invite_member(owner_id=principal.user_id, email=body.email))


@router.delete("/me/plan/members/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(member_id: str, principal: CurrentPrincipal, accounts: AccountsDep) -> None:
    accounts.remove_member(
        actor_id=principal.user_id, owner_id=principal.user_id, member_id=member_id
    )


@router.post("/me/plan/invitations/{owner_id}")
def accept_invitation(
    owner_id: str, principal: CurrentPrincipal, accounts: AccountsDep
) -> MembershipRead:
    return MembershipRead.of(
        accounts.accept_invitation(member_id=principal.user_id, owner_id=owner_id)
    )


@router.delete("/me/plan/membership", status_code=status.HTTP_204_NO_CONTENT)
async def leave(principal: CurrentPrincipal, accounts: AccountsDep) -> None:
    account = await run_in_threadpool(accounts.get_account, principal.user_id)
    if account.membership is None:
        raise InvalidInput("You are not a member of anyone's plan")
    await run_in_threadpool(
        accounts.remove_member,
        actor_id=principal.user_id,
        owner_id=account.membership.owner_id,
        member_id=principal.user_id,
    )
