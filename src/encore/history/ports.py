"""What the history domain needs from storage."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from encore.history.model import Listen
from encore.unit_of_work import UnitOfWork


class HistoryStore(Protocol):
    def add(self, listens: Iterable[Listen]) -> int:
        """Store listens whose event id is new, ignoring the others (a replayed batch lands
        once). Returns how many were new. Every listen's user and track must exist."""
        ...

    def recent(
        self, user_id: str, *, limit: int, before: datetime | None = None
    ) -> Sequence[Listen]:
        """The user's latest listens, newest first; with `before`, only those strictly older."""
        ...


class HistoryUnitOfWork(UnitOfWork, Protocol):
    @property
    def history(self) -> HistoryStore: ...
