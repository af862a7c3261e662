"""The `HistoryStore` on SQL: one table keyed by event id, read per user newest first."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from encore.adapters.sql.tables import listening_history, tracks, users
from encore.history.model import Listen

_IDS_PER_QUERY = 900  # under SQLite's bound-parameter limit
_COLUMNS = [column.name for column in listening_history.columns]
_processors_by_dialect: dict[str, dict[str, Any]] = {}


def _processors(connection: Connection) -> dict[str, Any]:
    dialect = connection.dialect
    found = _processors_by_dialect.get(dialect.name)
    if found is None:
        found = {}
        for column in listening_history.columns:
            processor = column.type._cached_bind_processor(dialect)
            if processor is not None:
                found[column.name] = processor
        _processors_by_dialect[dialect.name] = found
    return found


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
        # The log's consumer is the table's one writer, inside its transaction: the ids found
        # here are the ones a replayed batch repeats. ON CONFLICT still guards the key.
        ids = list(unique)
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start : start + _IDS_PER_QUERY]
            query = select(listening_history.c.event_id).where(
                listening_history.c.event_id.in_(chunk)
            )
            for event_id in self._c.execute(query).scalars():
                del unique[event_id]
        # A listener or a track deleted since the event was logged: its listens go with it,
        # rather than stopping the consumer on a foreign key.
        users_found = self._existing(users.c.id, {listen.user_id for listen in unique.values()})
        tracks_found = self._existing(tracks.c.id, {listen.track_id for listen in unique.values()})
        for event_id, listen in list(unique.items()):
            if listen.user_id not in users_found or listen.track_id not in tracks_found:
                del unique[event_id]
        if unique:
            self._c.exec_driver_sql(
                _insert_sql(self._c), [self._row(listen) for listen in unique.values()]
            )
        return list(unique.values())

    def _existing(self, column: Any, ids: set[str]) -> set[str]:
        wanted = list(ids)
        found: set[str] = set()
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[start : start + _IDS_PER_QUERY]
            found.update(self._c.execute(select(column).where(column.in_(chunk))).scalars())
        return found

    def _row(self, listen: Listen) -> tuple[Any, ...]:
        """A listen as the driver takes it, through the columns' own bind processing: an
        executemany of plain tuples costs a fraction of SQLAlchemy's per-row compilation."""
        processors = _processors(self._c)
        values = _values(listen)
        return tuple(
            processors[name](values[name]) if name in processors else values[name]
            for name in _COLUMNS
        )

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
