"""The `HistoryStore` on SQL: one table keyed by event id, read per user newest first."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from encore.adapters.sql.tables import listening_history
from encore.history.model import Listen

# Rows per INSERT statement: 11 columns each stays well under SQLite's 32,766 bound parameters.
_ROWS_PER_STATEMENT = 1_000


class SqlHistoryStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, listens: Iterable[Listen]) -> int:
        return len(self.add_new(listens))

    def add_new(self, listens: Iterable[Listen]) -> list[Listen]:
        # The first of several listens with one event id wins, as it would across batches.
        unique: dict[str, Listen] = {}
        for listen in listens:
            unique.setdefault(listen.event_id, listen)
        if not unique:
            return []
        statement = (
            postgresql.insert(listening_history)
            if self._c.dialect.name == "postgresql"
            else sqlite.insert(listening_history)
        )
        # RETURNING names exactly the rows that went in, on both engines; rowcount after an
        # executemany is not reliable across drivers.
        insert = (
            statement.on_conflict_do_nothing(index_elements=[listening_history.c.event_id])
            .returning(listening_history.c.event_id)
            .execution_options(insertmanyvalues_page_size=_ROWS_PER_STATEMENT)
        )
        result = self._c.execute(insert, [_values(listen) for listen in unique.values()])
        return [unique[event_id] for event_id in result.scalars()]

    def recent(
        self, user_id: str, *, limit: int, before: datetime | None = None
    ) -> Sequence[Listen]:
        query = select(listening_history).where(listening_history.c.user_id == user_id)
        if before is not None:
            query = query.where(listening_history.c.listened_at < before)
        query = query.order_by(
            listening_history.c.listened_at.desc(), listening_history.c.event_id.desc()
        ).limit(limit)
        return [_listen(row) for row in self._c.execute(query)]


def _values(listen: Listen) -> dict[str, Any]:
    return {
        "event_id": listen.event_id,
        "user_id": listen.user_id,
        "track_id": listen.track_id,
        "listened_at": listen.listened_at,
        "duration_played_ms": listen.duration_played_ms,
        "completed": listen.completed,
        "skipped": listen.skipped,
        "context_type": listen.context_type,
        "context_id": listen.context_id,
        "device": listen.device,
        "received_at": listen.received_at,
    }


def _listen(row: Any) -> Listen:
    return Listen(
        event_id=row.event_id,
        user_id=row.user_id,
        track_id=row.track_id,
        listened_at=row.listened_at,
        duration_played_ms=row.duration_played_ms,
        completed=row.completed,
        received_at=row.received_at,
        skipped=row.skipped,
        context_type=row.context_type,
        context_id=row.context_id,
        device=row.device,
    )
