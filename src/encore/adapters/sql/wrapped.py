"""Stored Wrapped summaries: one JSON document per listener and year."""

from collections.abc import Iterable
from datetime import UTC, datetime

import orjson
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from encore.adapters.sql.tables import wrapped
from encore.wrapped.model import Wrapped

_ROWS_PER_STATEMENT = 500


class SqlWrappedStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def replace_year(self, year: int, summaries: Iterable[Wrapped], user_ids: Iterable[str]) -> int:
        self._c.execute(delete(wrapped).where(wrapped.c.year == year))
        now = datetime.now(UTC)
        rows = [
            {
                "user_id": user_id,
                "year": year,
                "document": orjson.dumps(summary).decode(),
                "computed_at": now,
            }
            for summary, user_id in zip(summaries, user_ids, strict=True)
        ]
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            self._c.execute(wrapped.insert(), rows[start : start + _ROWS_PER_STATEMENT])
        return len(rows)

    def get(self, user_id: str, year: int) -> bytes | None:
        document = self._c.execute(
            select(wrapped.c.document).where(wrapped.c.user_id == user_id, wrapped.c.year == year)
        ).scalar()
        return None if document is None else str(document).encode()
