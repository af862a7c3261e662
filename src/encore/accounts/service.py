"""Accounts: sign-up, sign-in, tokens, plans and family / duo groups."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from email_validator import EmailNotValidError, validate_email

from encore.accounts.login_guard import LoginGuard
from encore.accounts.model import (
    Account,
    Entitlement,
    Membership,
    MembershipStatus,
    Plan,
    PlanChange,
    RefreshToken,
    TokenPair,
    User,
)
from encore.accounts.passwords import MAX_LENGTH, MIN_LENGTH, Passwords
from encore.accounts.ports import AccountsUnitOfWork
from encore.accounts.tokens import AccessTokens, hash_refresh_token, new_refresh_token
from encore.cache import Cache, DecodedCopies
from encore.countries import normalize_country
from encore.errors import (
    AlreadyExists,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from encore.ids import new_id
from encore.unit_of_work import UnitOfWorkFactory

BAD_CREDENTIALS = "Wrong email or password"
REAUTHENTICATION = "signed-in"  # the client of a signed-in listener's password checks
# Every change of plan or membership deletes the cached entitlements it affects, in the cache the
# API nodes share (Redis at scale), so the TTL only bounds memory: a listener streams every few
# minutes and should find theirs cached.
ENTITLEMENT_TTL_S = 900.0
DECODED_ENTITLEMENTS = 100_000  # listeners whose decoded entitlement is kept at hand


@dataclass(frozen=True, slots=True)
class PlanChangeResult:
    change: PlanChange
    account: Account
    replayed: bool


def _utcnow() -> datetime:
    return datetime.now(UTC)


def normalize_email(email: str) -> str:
    """The stored form of an address; unparseable input is only trimmed and lower-cased."""
    try:
        return _email(email)
    except InvalidInput:
        return email.strip().lower()


class AccountService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory[AccountsUnitOfWork],
        passwords: Passwords,
        access_tokens: AccessTokens,
        cache: Cache,
        refresh_ttl: timedelta,
        signup_open: bool,
        login_guard: LoginGuard,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._uow = uow
        self._passwords = passwords
        self._access_tokens = access_tokens
        self._cache = cache
        self._refresh_ttl = refresh_ttl
        self._signup_open = signup_open
        self._login_guard = login_guard
        self._clock = clock
        self._decoded_entitlements = DecodedCopies(
            Entitlement.decode, max_entries=DECODED_ENTITLEMENTS
        )

    # --- sign-up and sign-in -----------------------------------------------------------------

    def sign_up(
        self, *, email: str, password: str, country: str, display_name: str | None
    ) -> Account:
        if not self._signup_open:
            raise PermissionDenied(
                "Sign-up is closed on this server; ask its operator for an account"
            )
        return self.add_user(
            email=email, password=password, country=country, display_name=display_name
        )

    def add_user(
        self,
        *,
        email: str,
        password: str,
        country: str,
        display_name: str | None = None,
        plan: Plan = Plan.FREE,
        is_admin: bool = False,
    ) -> Account:
        email = _email(email)
        _check_password(password)
        user = User(
            id=new_id(),
            email=email,
            password_hash=self._passwords.hash(password),
            display_name=(display_name or email.split("@", 1)[0]).strip(),
            country=_country(country),
            plan=plan,
            is_admin=is_admin,
            created_at=self._clock(),
        )
        with self._uow() as uow:
            if uow.users.get_by_email(email) is not None:
                raise AlreadyExists("An account with this email exists already")
            uow.users.add(user)
            uow.commit()
        return Account(user=user, effective_plan=plan, membership=None)

    def sign_in_delay_s(self, email: str) -> float:
        """How long to wait before `sign_in` to this account: it grows while its sign-ins keep
        failing (the caller waits, without holding a thread)."""
        return self._login_guard.delay_s(normalize_email(email))

    def sign_in(self, *, email: str, password: str, client: str = "") -> TokenPair:
        email = normalize_email(email)
        self._login_guard.check(email, client, "Too many failed sign-in attempts; wait a minute")
        with self._uow(readonly=True) as uow:
            user = uow.users.get_by_email(email)
        if not self._passwords.verify(user.password_hash if user else None, password) or not user:
            self._login_guard.failed(email, client)
            raise NotAuthenticated(BAD_CREDENTIALS)
        return self._issue(user.id, family_id=new_id())

    def check_password(self, *, user_id: str, password: str) -> None:
        """Re-authenticate a signed-in listener before something that cannot be undone. Wrong
        passwords count against a limit of their own, as failed sign-ins do."""
        with self._uow(readonly=True) as uow:
            user = uow.users.get(user_id)
        if user is None:
            raise NotFound("No such user")
        self._login_guard.check(
            user.email, REAUTHENTICATION, "Too many wrong passwords; wait a minute"
        )
        if not self._passwords.verify(user.password_hash, password):
            self._login_guard.failed(user.email, REAUTHENTICATION)
            raise PermissionDenied("Wrong password", field="password")

    def forget_account(self, user_id: str, member_ids: Sequence[str] = ()) -> None:
        """After an account is deleted: its access tokens stop working at once, and the cached
        entitlements of its family or duo members (who lose the shared plan) are dropped."""
        self._access_tokens.revoke_subject(user_id)
        self._forget_entitlements(user_id, *member_ids)

    def refresh(self, refresh_token: str) -> TokenPair:
        """Trade a refresh token for a new pair. Each refresh token works once: a second use
        means it leaked, and every token descended from the same sign-in is revoked."""
        now = self._clock()
        with self._uow() as uow:
            stored = uow.refresh_tokens.get_by_hash(hash_refresh_token(refresh_token))
            if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
                raise NotAuthenticated("The refresh token is not valid")
            if not uow.refresh_tokens.mark_used(stored.id, now):
                uow.refresh_tokens.revoke_family(stored.family_id, now)
                uow.commit()
                raise NotAuthenticated("The refresh token was used already; sign in again")
            pair, token = self._new_pair(stored.user_id, family_id=stored.family_id)
            uow.refresh_tokens.add(token)
            uow.commit()
        return pair

    def sign_out(self, refresh_token: str) -> None:
        with self._uow() as uow:
            stored = uow.refresh_tokens.get_by_hash(hash_refresh_token(refresh_token))
            if stored is not None:
                uow.refresh_tokens.revoke_family(stored.family_id, self._clock())
                uow.commit()

    def _issue(self, user_id: str, *, family_id: str) -> TokenPair:
        pair, token = self._new_pair(user_id, family_id=family_id)
        with self._uow() as uow:
            uow.refresh_tokens.add(token)
            uow.commit()
        return pair

    def _new_pair(self, user_id: str, *, family_id: str) -> tuple[TokenPair, RefreshToken]:
        now = self._clock()
        secret = new_refresh_token()
        token = RefreshToken(
            id=new_id(),
            user_id=user_id,
            family_id=family_id,
            token_hash=hash_refresh_token(secret),
            issued_at=now,
            expires_at=now + self._refresh_ttl,
            used_at=None,
            revoked_at=None,
        )
        pair = TokenPair(
            access_token=self._access_tokens.issue(user_id),
            expires_in=self._access_tokens.ttl_s,
            refresh_token=secret,
        )
        return pair, token

    # --- reading accounts --------------------------------------------------------------------

    def get_account(self, user_id: str) -> Account:
        with self._uow(readonly=True) as uow:
            user = uow.users.get(user_id)
            if user is None:
                raise NotFound("No such user")
            return _account(uow, user)

    def entitlement(self, user_id: str) -> Entitlement:
        """The listener's country and effective plan, cached briefly: every stream request asks.
        Whatever changes a plan drops the cached copies it affects."""
        cached = self.cached_entitlement(user_id)
        if cached is not None:
            return cached
        account = self.get_account(user_id)
        found = Entitlement(user_id, account.user.country, account.effective_plan)
        self._cache.set(_entitlement_key(user_id), found.encode(), ttl_s=ENTITLEMENT_TTL_S)
        return found

    def cached_entitlement(self, user_id: str) -> Entitlement | None:
        cached = self._cache.get(_entitlement_key(user_id))
        return None if cached is None else self._decoded_entitlements.get(user_id, cached)

    def _forget_entitlements(self, *user_ids: str) -> None:
        self._cache.delete(*(_entitlement_key(user_id) for user_id in user_ids))

    def list_accounts(self, *, limit: int = 100, offset: int = 0) -> Sequence[Account]:
        with self._uow(readonly=True) as uow:
            return [_account(uow, user) for user in uow.users.list(limit=limit, offset=offset)]

    def update_profile(
        self, *, user_id: str, country: str | None = None, display_name: str | None = None
    ) -> Account:
        """Change where the listener lives (which tracks are licensed to them, what is popular
        around them) and the name others see; what is not given stays."""
        with self._uow() as uow:
            user = uow.users.get_for_update(user_id)
            if user is None:
                raise NotFound("No such user")
            if country is not None and _country(country) != user.country:
                uow.users.set_country(user_id, _country(country))
            if display_name is not None and display_name.strip() != user.display_name:
                if not display_name.strip():
                    raise InvalidInput("A display name cannot be blank", field="display_name")
                uow.users.set_display_name(user_id, display_name.strip())
            uow.commit()
        # The cached entitlement carries the country every stream request checks.
        self._forget_entitlements(user_id)
        return self.get_account(user_id)

    # --- plans ---------------------------------------------------------------------------------

    def change_plan(
        self, *, user_id: str, plan: Plan, idempotency_key: str, changed_by: str, reason: str = ""
    ) -> PlanChangeResult:
        """Move a user to `plan`, once per idempotency key, in one transaction with its audit row.

        A repeated key answers with the first result; the same key for another plan is refused.
        Leaving a shared plan ends its memberships; a smaller shared plan keeps them only if
        they fit.
        """
        if not idempotency_key or len(idempotency_key) > 255:
            raise InvalidInput("An Idempotency-Key of 1 to 255 characters is required")
        with self._uow() as uow:
            user = uow.users.get_for_update(user_id)
            if user is None:
                raise NotFound("No such user")
            earlier = uow.plan_changes.get_by_key(user_id, idempotency_key)
            if earlier is not None:
                if earlier.to_plan is not plan:
                    raise InvalidInput(
                        "This Idempotency-Key was used for a different plan change",
                        idempotency_key=idempotency_key,
                    )
                return PlanChangeResult(earlier, _account(uow, user), replayed=True)
            membership = uow.memberships.get_for_member(user_id)
            if membership is not None and membership.status is MembershipStatus.ACTIVE:
                raise Conflict("You are in someone else's family or duo plan; leave it first")
            members = uow.memberships.list_for_owner(user_id)
            if not plan.is_shared:
                uow.memberships.remove_all(user_id)
            elif len(members) + 1 > plan.max_accounts:
                raise Conflict(
                    f"The {plan.value} plan covers {plan.max_accounts} accounts and yours has "
                    f"{len(members) + 1}; remove members first"
                )
            change = PlanChange(
                id=new_id(),
                user_id=user_id,
                idempotency_key=idempotency_key,
                from_plan=user.plan,
                to_plan=plan,
                changed_by=changed_by,
                reason=reason,
                changed_at=self._clock(),
            )
            uow.plan_changes.add(change)
            uow.users.set_plan(user_id, plan)
            updated = uow.users.get(user_id)
            assert updated is not None
            account = _account(uow, updated)
            uow.commit()
        self._forget_entitlements(user_id, *(member.member_id for member in members))
        return PlanChangeResult(change, account, replayed=False)

    def plan_history(self, user_id: str) -> Sequence[PlanChange]:
        with self._uow(readonly=True) as uow:
            return uow.plan_changes.list_for_user(user_id)

    # --- family and duo ------------------------------------------------------------------------

    def invite_member(self, *, owner_id: str, email: str) -> Membership:
        with self._uow() as uow:
            owner = uow.users.get_for_update(owner_id)
            if owner is None:
                raise NotFound("No such user")
            if not owner.plan.is_shared:
                raise Conflict("Only a family or duo plan can have members")
            invitee = uow.users.get_by_email(normalize_email(email))
            if invitee is None:
                raise NotFound("No account has this email; they need to sign up first")
            if invitee.id == owner_id:
                raise InvalidInput("You are already the plan's owner")
            if uow.memberships.get_for_member(invitee.id) is not None:
                raise Conflict("This listener is already in a family or duo plan")
            if invitee.plan.is_shared:
                raise Conflict("This listener owns a family or duo plan of their own")
            members = uow.memberships.list_for_owner(owner_id)
            if len(members) + 1 >= owner.plan.max_accounts:
                raise Conflict(
                    f"The {owner.plan.value} plan is full ({owner.plan.max_accounts} accounts)"
                )
            membership = Membership(
                owner_id=owner_id,
                member_id=invitee.id,
                status=MembershipStatus.INVITED,
                invited_at=self._clock(),
                joined_at=None,
            )
            uow.memberships.add(membership)
            uow.commit()
        return membership

    def accept_invitation(self, *, member_id: str, owner_id: str) -> Membership:
        with self._uow() as uow:
            membership = uow.memberships.get_for_member(member_id)
            if membership is None or membership.owner_id != owner_id:
                raise NotFound("No invitation from this plan")
            if membership.status is MembershipStatus.INVITED:
                uow.memberships.activate(owner_id, member_id, self._clock())
                uow.commit()
                self._forget_entitlements(member_id)
            updated = uow.memberships.get_for_member(member_id)
        assert updated is not None
        return updated

    def remove_member(self, *, actor_id: str, owner_id: str, member_id: str) -> None:
        """The owner removes a member, or a member leaves."""
        if actor_id not in (owner_id, member_id):
            raise PermissionDenied("Only the plan's owner or the member can do this")
        with self._uow() as uow:
            membership = uow.memberships.get_for_member(member_id)
            if membership is None or membership.owner_id != owner_id:
                raise NotFound("No such member")
            uow.memberships.remove(owner_id, member_id)
            uow.commit()
        self._forget_entitlements(member_id)

    def members(self, owner_id: str) -> Sequence[Membership]:
        with self._uow(readonly=True) as uow:
            return uow.memberships.list_for_owner(owner_id)


def _entitlement_key(user_id: str) -> str:
    return f"entitlement:{user_id}"


def _account(uow: AccountsUnitOfWork, user: User) -> Account:
    membership = uow.memberships.get_for_member(user.id)
    effective = user.plan
    if membership is not None and membership.status is MembershipStatus.ACTIVE:
        owner = uow.users.get(membership.owner_id)
        if owner is not None and owner.plan.is_shared:
            effective = owner.plan
    return Account(user=user, effective_plan=effective, membership=membership)


def _check_password(password: str) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput(f"A password has {MIN_LENGTH} to {MAX_LENGTH} characters")


def _country(code: str) -> str:
    country = normalize_country(code)
    if country is None:
        raise InvalidInput(f"{code!r} is not an ISO 3166-1 alpha-2 country code", field="country")
    return country


def _email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidInput(f"Not a valid email address: {error}", field="email") from None
