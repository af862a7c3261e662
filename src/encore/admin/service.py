"""What the admin page shows, read through the ports; every call needs an operator."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from encore.accounts.model import Account
from encore.accounts.service import AccountService
from encore.catalog.transcoding import DeadLetter, QueueDepth, QueueUnavailable
from encore.errors import PermissionDenied
from encore.unit_of_work import UnitOfWork, UnitOfWorkFactory


class _Users(Protocol):
    def count(self) -> int: ...


class _Renditions(Protocol):
    def track_ids(self) -> set[str]: ...


class AdminUnitOfWork(UnitOfWork, Protocol):
    @property
    def users(self) -> _Users: ...

    @property
    def renditions(self) -> _Renditions: ...


@dataclass(frozen=True, slots=True)
class ImportStatus:
    imported_files: int  # audio files the importer has taken in
    last_import_at: datetime | None
    catalog_tracks: int  # with audio or known by their metadata only


@dataclass(frozen=True, slots=True)
class BatchRun:
    """One run of the recommenders' batch."""

    runner: str
    kinds: tuple[str, ...]
    status: str  # running, complete, failed
    started_at: datetime
    finished_at: datetime | None
    users: int
    playlists: int
    error: str | None


@dataclass(frozen=True, slots=True)
class WrappedYear:
    year: int
    listeners: int
    computed_at: datetime


class OperationsReport(Protocol):
    """The batch side's records, for operators."""

    def imports(self) -> ImportStatus: ...
    def batch_runs(self, *, limit: int) -> Sequence[BatchRun]:
        """The latest runs, newest first."""
        ...

    def wrapped_years(self) -> Sequence[WrappedYear]:
        """Each year Wrapped was computed for, newest first."""
        ...


class TranscodeBacklog(Protocol):
    def depth(self) -> QueueDepth: ...
    def dead_letters(self) -> Sequence[DeadLetter]: ...


@dataclass(frozen=True, slots=True)
class TranscodeStatus:
    depth: QueueDepth
    dead_letters: Sequence[DeadLetter]  # the latest, newest first


@dataclass(frozen=True, slots=True)
class Status:
    users: int
    playable_tracks: int
    consumer_lag: Mapping[str, int]
    failing_checks: Sequence[str]
    imports: ImportStatus
    batch_runs: Sequence[BatchRun]
    wrapped_years: Sequence[WrappedYear]
    transcodes: TranscodeStatus | None  # None while the queue cannot be reached


RECENT_RUNS = 5
RECENT_DEAD_LETTERS = 20


class AdminService:
    def __init__(
        self,
        *,
        accounts: AccountService,
        uow: UnitOfWorkFactory[AdminUnitOfWork],
        consumer_lag: Callable[[], Mapping[str, int]],
        failing_checks: Callable[[], Sequence[str]],
        operations: OperationsReport,
        transcodes: Callable[[], TranscodeBacklog],
    ) -> None:
        self._accounts = accounts
        self._uow = uow
        self._consumer_lag = consumer_lag
        self._failing_checks = failing_checks
        self._operations = operations
        self._transcodes = transcodes

    def require_operator(self, user_id: str) -> None:
        if not self._accounts.get_account(user_id).user.is_admin:
            raise PermissionDenied("This is for operators (admin accounts) only")

    def users(self, *, actor_id: str, limit: int, offset: int) -> tuple[Sequence[Account], int]:
        self.require_operator(actor_id)
        with self._uow(readonly=True) as uow:
            total = uow.users.count()
        return self._accounts.list_accounts(limit=limit, offset=offset), total

    def status(self, *, actor_id: str) -> Status:
        self.require_operator(actor_id)
        with self._uow(readonly=True) as uow:
            users = uow.users.count()
            playable = len(uow.renditions.track_ids())
        return Status(
            users=users,
            playable_tracks=playable,
            consumer_lag=dict(self._consumer_lag()),
            failing_checks=list(self._failing_checks()),
            imports=self._operations.imports(),
            batch_runs=self._operations.batch_runs(limit=RECENT_RUNS),
            wrapped_years=self._operations.wrapped_years(),
            transcodes=self._transcode_status(),
        )

    def _transcode_status(self) -> TranscodeStatus | None:
        try:
            queue = self._transcodes()
            letters = queue.dead_letters()
            return TranscodeStatus(queue.depth(), letters[::-1][:RECENT_DEAD_LETTERS])
        except QueueUnavailable:
            return None
