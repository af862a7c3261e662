"""Account data: a listener's export of everything Encore holds about them, and the deletion
of their account (by themselves, or by an operator from the command line)."""

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

from encore.account_data.export import archive
from encore.account_data.model import (
    Erasure,
    LakeForgetting,
    PlaylistFate,
    fate_of,
)
from encore.account_data.ports import (
    AccountDataUnitOfWork,
    ExportSource,
    ForgettingStore,
    Record,
    Tombstones,
)
from encore.accounts.service import AccountService, normalize_email
from encore.errors import NotFound
from encore.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)

# Called with the listener's id before their account is erased (to note what it must forget,
# such as cached credentials); what it returns is called with the erasure once committed.
ErasureHook = Callable[[str], Callable[[Erasure], None]]
GONE = "No such account: it does not exist, or it was deleted"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AccountDataService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory[AccountDataUnitOfWork],
        source: ExportSource,
        accounts: AccountService,
        tombstones: Tombstones,
        forgetting: Sequence[ForgettingStore] = (),
        now_playing: Callable[[str], Record | None] = lambda user_id: None,
        hooks: Sequence[ErasureHook] = (),
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._uow = uow
        self._source = source
        self._accounts = accounts
        self._tombstones = tombstones
        self._forgetting = list(forgetting)
        self._now_playing = now_playing
        self._hooks = list(hooks)
        self._clock = clock

    # --- export --------------------------------------------------------------------------------

    def export(self, user_id: str) -> Iterator[bytes]:
        """The archive's bytes as they are produced. An unknown user fails here, before the
        first byte; the rest is read in batches while the caller consumes the stream."""
        profile = self._source.profile(user_id)
        if profile is None:
            raise NotFound(GONE)
        return archive(
            self._source,
            user_id=user_id,
            profile=profile,
            now_playing=self._now_playing(user_id),
            exported_at=self._clock(),
        )

    def user_id_of(self, email: str) -> str:
        """The id of the account with this email (for operators, who know listeners by it)."""
        with self._uow(readonly=True) as uow:
            user = uow.users.get_by_email(normalize_email(email))
        if user is None:
            raise NotFound(f"No account has the email {email!r}")
        return user.id

    # --- deletion ------------------------------------------------------------------------------

    def delete_own_account(self, *, user_id: str, password: str) -> Erasure:
        """A listener deletes their account: they confirm it with their password, even though
        they are signed in, so that a token left on a shared computer cannot."""
        self._accounts.check_password(user_id=user_id, password=password)
        return self.erase(user_id)

    def erase(self, user_id: str) -> Erasure:
        """Delete the account and its personal data in one transaction; playlists others use
        stay (`fate_of`). Then its tokens stop working, caches forget it, and the lake and the
        event log are rewritten without its plays (again by `forget_pending` if that fails)."""
        after = [hook(user_id) for hook in self._hooks]
        now = self._clock()
        with self._uow() as uow:
            if uow.users.get_for_update(user_id) is None:
                raise NotFound(GONE)
            outcomes = [fate_of(playlist) for playlist in uow.erasure.owned_playlists(user_id)]
            for outcome in outcomes:
                if outcome.fate is PlaylistFate.TRANSFERRED:
                    assert outcome.new_owner is not None
                    uow.erasure.transfer_playlist(outcome.playlist_id, outcome.new_owner)
                elif outcome.fate is PlaylistFate.KEPT_OWNERLESS:
                    uow.erasure.orphan_playlist(outcome.playlist_id)
            uow.erasure.delete_playlists(
                [o.playlist_id for o in outcomes if o.fate is PlaylistFate.DELETED]
            )
            rows = uow.erasure.erase_user(user_id)
            uow.erasure.add_tombstone(user_id, now)
            uow.commit()
        erasure = Erasure(user_id=user_id, deleted_at=now, playlists=outcomes, rows=rows)
        for forget in after:
            forget(erasure)
        try:
            self.forget_pending()
        except Exception:
            # The tombstone stays pending: every read of the lake skips the listener meanwhile,
            # and the next `forget_pending` (each batch run, `encore users forget`) finishes.
            log.exception("Could not yet rewrite the lake without listener %s", user_id)
        return erasure

    def forget_pending(self) -> LakeForgetting:
        """Rewrite the lake and the event log without every deleted listener they may still
        hold. Idempotent: run again after a crash, it finishes what was left."""
        pending = [tombstone.user_id for tombstone in self._tombstones.pending()]
        if not pending:
            return LakeForgetting(users=0, rewritten=0, removed=0)
        files = rows = 0
        for store in self._forgetting:
            rewritten, removed = store.forget_users(pending)
            files += rewritten
            rows += removed
        self._tombstones.mark_forgotten(pending, self._clock())
        return LakeForgetting(users=len(pending), rewritten=files, removed=rows)
