"""What the history domain needs from storage and from the event log's other readers."""

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Protocol

from encore.accounts.ports import UserRepository
from encore.history.model import Listen, Play
from encore.unit_of_work import UnitOfWork


class HistoryStore(Protocol):
    def add(self, listens: Iterable[Listen]) -> int:
        """Store listens whose event id is new, ignoring the others (a replayed batch lands
        once), and those whose user or track no longer exists. Returns how many were stored."""
        ...

    def add_new(self, listens: Iterable[Listen]) -> list[Listen]:
        """As `add`, returning the listens stored."""
        ...

    def recent(
        self, user_id: str, *, limit: int, before: datetime | None = None
    ) -> Sequence[Listen]:
        """The user's latest listens, newest first; with `before`, only those strictly older."""
        ...


class ListeningStats(Protocol):
    def durations(self, track_ids: Collection[str]) -> dict[str, int]:
        """The duration (ms) of each of the tracks that exist."""
        ...

    def count(self, plays: Sequence[Play], now: datetime) -> None:
        """Add plays to the play counts, decayed scores (and the tracks' popularity) and the
        plays per country and day."""
        ...

    def refresh_popularity(self, now: datetime) -> int:
        """Decay every counted track's popularity to `now`; how many changed."""
        ...

    def top_tracks(self, *, countries: Collection[str], since: date, limit: int) -> list[str]:
        """The most played tracks in those countries from `since` on, most played first."""
        ...


class ConsumerOffsets(Protocol):
    def get(self, consumer: str, topic: str) -> int: ...
    def put(self, consumer: str, topic: str, offset: int) -> None: ...


class HistoryUnitOfWork(UnitOfWork, Protocol):
    @property
    def history(self) -> HistoryStore: ...
    @property
    def stats(self) -> ListeningStats: ...
    @property
    def offsets(self) -> ConsumerOffsets: ...
    @property
    def users(self) -> UserRepository: ...


class Lake(Protocol):
    """Every accepted player event, kept for batch jobs (files partitioned by day)."""

    def position(self) -> int:
        """The log offset of the last event written (0 before the first)."""
        ...

    def append(self, rows: Sequence[dict[str, object]], *, through: int) -> None:
        """Write rows (the log's payloads) and then record `through` as the position."""
        ...

    def backfill(self, rows: Sequence[dict[str, object]]) -> int:
        """Write listens that never went through the log (the same payloads, without an
        offset), leaving the position alone; writing the same rows again changes nothing."""
        ...
