"""The `HistoryStore` on SQL: one table keyed by event id, read per user newest first."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from encore.adapters.sql.driver_rows import DriverRows
from encore.adapters.sql.tables import listening_history
from encore.history.model import Listen

# The columns in the order `_rows` gives them.
_COLUMNS = (
    "event_id",
    "user_id",
    "track_id",
    "listened_at",
    "duration_played_ms",
    "completed",
    "skipped",
    "context_type",
    "context_id",
    "device",
    "received_at",
)
_INSERT = (
    f"INSERT INTO listening_history ({', '.join(_COLUMNS)}) "  # noqa: S608 - fixed names
    f"VALUES ({', '.join('?' * len(_COLUMNS))}) ON CONFLICT (event_id) DO NOTHING"
)


class SqlHistoryStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection
        self._driver = DriverRows(connection)

    def add(self, listens: Iterable[Listen]) -> int:
        return len(self.add_new(listens))

    def add_new(self, listens: Iterable[Listen]) -> list[Listen]:
        # The first of several listens with one event id wins, as it would across batches.
        unique: dict[str, Listen] = {}
        for listen in listens:
            unique.setdefault(listen.event_id, listen)
        if not unique:
            return []
        # A listener or a track deleted since the event was logged: its listens go with it,
        # rather than stopping the consumer on a foreign key.
        users_found = self._existing("users", "id", {listen.user_id for listen in unique.values()})
        tracks_found = self._existing(
            "tracks", "id", {listen.track_id for listen in unique.values()}
        )
        for event_id, listen in list(unique.items()):
            if listen.user_id not in users_found or listen.track_id not in tracks_found:
                del unique[event_id]
        if not unique:
            return []
        # Inserted optimistically: a batch the table has never seen (nearly every one) costs one
        # executemany of plain tuples. When some ids were there already (a replayed batch), the
        # savepoint undoes the insert and the ids found are left out before inserting again, so
        # that the caller learns which listens are new.
        savepoint = self._c.begin_nested()
        inserted = self._driver.execute_many(_INSERT, self._rows(unique.values()))
        if inserted == len(unique):
            savepoint.commit()
            return list(unique.values())
        savepoint.rollback()
        for event_id in self._existing("listening_history", "event_id", set(unique)):
            del unique[event_id]
        self._driver.execute_many(_INSERT, self._rows(unique.values()))
        return list(unique.values())

    def _existing(self, table: str, column: str, ids: set[str]) -> set[str]:
        rows = self._driver.select_in(
            f"SELECT {column} FROM {table} WHERE {column} IN ({{}})",  # noqa: S608 - fixed names
            ids,
        )
        return {row[0] for row in rows}

    def _rows(self, listens: Iterable[Listen]) -> list[tuple[Any, ...]]:
        """Listens as the driver takes them, in `_COLUMNS` order, without SQLAlchemy's per-row
        bind processing (most of the consumer's time once)."""
        stamp = self._driver.stamp
        # A batch's listens mostly share their received time (one request's events): written once.
        received: dict[datetime, Any] = {}
        rows = []
        for listen in listens:
            received_at = received.get(listen.received_at)
            if received_at is None:
                received_at = received[listen.received_at] = stamp(listen.received_at)
            rows.append(
                (
                    listen.event_id,
                    listen.user_id,
                    listen.track_id,
                    stamp(listen.listened_at),
                    listen.duration_played_ms,
                    listen.completed,
                    listen.skipped,
                    listen.context_type,
                    listen.context_id,
                    listen.device,
                    received_at,
                )
            )
        return rows

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
