"""The `HistoryStore` on SQL: one table keyed by event id, read per user newest first."""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from encore.adapters.sql.tables import as_utc, listening_history, tracks, users
from encore.history.model import Listen

_IDS_PER_QUERY = 900  # under SQLite's bound-parameter limit
# The columns in the order `_row` gives them.
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


def _insert_sql(connection: Connection) -> str:
    marker = "%s" if connection.dialect.name == "postgresql" else "?"
    names = ", ".join(_COLUMNS)
    markers = ", ".join([marker] * len(_COLUMNS))
    return (
        f"INSERT INTO listening_history ({names}) VALUES ({markers}) "  # noqa: S608 - fixed names
        "ON CONFLICT (event_id) DO NOTHING"
    )


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
        # A listener or a track deleted since the event was logged: its listens go with it,
        # rather than stopping the consumer on a foreign key.
        users_found = self._existing(users.c.id, {listen.user_id for listen in unique.values()})
        tracks_found = self._existing(tracks.c.id, {listen.track_id for listen in unique.values()})
        for event_id, listen in list(unique.items()):
            if listen.user_id not in users_found or listen.track_id not in tracks_found:
                del unique[event_id]
        if not unique:
            return []
        # Inserted optimistically: a batch the table has never seen (nearly every one) costs one
        # executemany of plain tuples. When some ids were there already (a replayed batch), the
        # savepoint undoes the insert and the ids found are left out before inserting again, so
        # that the caller learns which listens are new.
        sqlite = self._c.dialect.name == "sqlite"
        insert = _insert_sql(self._c)
        rows = [_row(listen, sqlite) for listen in unique.values()]
        savepoint = self._c.begin_nested()
        inserted = self._c.exec_driver_sql(insert, rows).rowcount
        if inserted == len(rows):
            savepoint.commit()
            return list(unique.values())
        savepoint.rollback()
        for event_id in self._existing(listening_history.c.event_id, set(unique)):
            del unique[event_id]
        if unique:
            self._c.exec_driver_sql(insert, [_row(listen, sqlite) for listen in unique.values()])
        return list(unique.values())

    def _existing(self, column: Any, ids: set[str]) -> set[str]:
        wanted = list(ids)
        found: set[str] = set()
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[start : start + _IDS_PER_QUERY]
            found.update(self._c.execute(select(column).where(column.in_(chunk))).scalars())
        return found

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


def _row(listen: Listen, sqlite: bool) -> tuple[Any, ...]:
    """A listen as the driver takes it, in `_COLUMNS` order, without SQLAlchemy's per-row bind
    processing (most of the consumer's time once). Timestamps as `UtcDateTime` stores them."""
    stamp = _sqlite_stamp if sqlite else as_utc
    return (
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
        stamp(listen.received_at),
    )


def _sqlite_stamp(moment: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text: UTC, no offset, always with microseconds (naive values
    are UTC already). Cut from `isoformat`, which costs a third of `replace` plus `timespec`."""
    if moment.tzinfo is not None and moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    text = moment.isoformat(" ")
    return text[:19] + (text[19:26] if text[19:20] == "." else ".000000")


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
