"""What account export and deletion need from storage. The SQL adapter implements the database
side; the lake and the event log forget deleted listeners on their own files."""

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from encore.account_data.model import OwnedPlaylist, Tombstone
from encore.accounts.ports import UserRepository
from encore.unit_of_work import UnitOfWork

Record = Mapping[str, object]


class ExportSource(Protocol):
    """Everything stored about one listener, read in short batches: an export of a million plays
    never holds more than one batch, nor one transaction for the whole download."""

    def profile(self, user_id: str) -> Record | None:
        """The account itself (never its password hash); None when there is no such user."""
        ...

    def records(self, section: str, user_id: str, *, batch: int) -> Iterator[Sequence[Record]]:
        """The rows of one section (`SECTIONS` in `encore.account_data.export`), in a stable
        order, `batch` at a time."""
        ...

    def playlist_tracks(self, playlist_id: str, user_id: str) -> Sequence[Record]:
        """One playlist's tracks in order (without the playlist's id), as `user_id` sees them:
        what they added is theirs ("you")."""
        ...

    def wrapped(self, user_id: str) -> Iterator[tuple[int, bytes]]:
        """The stored Wrapped documents, (year, JSON), oldest year first."""
        ...


class ErasureRepository(Protocol):
    """The database side of deleting an account; every call runs in the unit of work's
    transaction, so a crash part way leaves the account as it was."""

    def owned_playlists(self, user_id: str) -> Sequence[OwnedPlaylist]:
        """The listener's own playlists (not Encore's generated ones), with who else uses them."""
        ...

    def transfer_playlist(self, playlist_id: str, new_owner: str) -> None:
        """Make a collaborator the owner (no longer listed as a collaborator). The snapshot is
        unchanged: the others' next edit with the snapshot they hold still applies."""
        ...

    def orphan_playlist(self, playlist_id: str) -> None: ...
    def delete_playlists(self, playlist_ids: Collection[str]) -> None: ...

    def erase_user(self, user_id: str) -> dict[str, int]:
        """Remove the account and everything personal of it (generated playlists, history,
        likes, follows of and to them, Wrapped, Subsonic marks and credentials, sessions, plan
        history and memberships). Tracks they added to playlists that stay are kept, their adder
        unknown. Rows removed per table."""
        ...

    def add_tombstone(self, user_id: str, at: datetime) -> None: ...

    def is_tombstoned(self, user_id: str) -> bool: ...


class AccountDataUnitOfWork(UnitOfWork, Protocol):
    @property
    def users(self) -> UserRepository: ...

    @property
    def erasure(self) -> ErasureRepository: ...


class Tombstones(Protocol):
    def pending(self) -> Sequence[Tombstone]:
        """Deleted listeners whose plays the lake may still hold."""
        ...

    def mark_forgotten(self, user_ids: Collection[str], at: datetime) -> None: ...


class ForgettingStore(Protocol):
    """Somewhere outside SQL that holds listeners' events (the lake, the event log)."""

    def forget_users(self, user_ids: Collection[str]) -> tuple[int, int]:
        """Rewrite what holds events of these listeners without them; (files or batches
        rewritten, events removed). Idempotent: a run cut short is finished by the next."""
        ...
