"""Statements and rows handed straight to the DB-API driver, for the listening consumer's bulk
writes.

SQLAlchemy's per-row work (dicts to parameters, a type decorator's bind processing for every
timestamp) was most of the history consumer's time; its writes are few, fixed and hot, so they
go as tuples of values already in the form each dialect stores. Everything else uses Core.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from encore.adapters.sql.tables import as_utc

IDS_PER_QUERY = 900  # under SQLite's bound-parameter limit


class DriverRows:
    """One connection's dialect, as plain statements and values."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection
        self.sqlite = connection.dialect.name == "sqlite"
        self._marker = "?" if self.sqlite else "%s"

    def statement(self, sql: str) -> str:
        """`sql` written with `?` markers, in the driver's parameter style."""
        return sql if self.sqlite else sql.replace("?", self._marker)

    def markers(self, count: int) -> str:
        return ", ".join([self._marker] * count)

    def execute_many(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> int:
        """`sql` (with `?` markers) once per row; the rows it changed."""
        if not rows:
            return 0
        return int(self._c.exec_driver_sql(self.statement(sql), list(rows)).rowcount)

    def select_in(self, sql: str, ids: Iterable[str]) -> list[tuple[Any, ...]]:
        """`sql` ending in `IN ({})`, run over `ids` in chunks the driver accepts."""
        wanted = list(ids)
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), IDS_PER_QUERY):
            chunk = tuple(wanted[start : start + IDS_PER_QUERY])
            found.extend(self._c.exec_driver_sql(sql.format(self.markers(len(chunk))), chunk))
        return found

    def stamp(self, moment: datetime) -> Any:
        """A timestamp as `UtcDateTime` stores it."""
        return _sqlite_stamp(moment) if self.sqlite else as_utc(moment)

    def day(self, value: date) -> Any:
        """A date as `Date` stores it."""
        return value.isoformat() if self.sqlite else value

    def instant(self, value: Any) -> datetime:
        """A stored `UtcDateTime` read back without SQLAlchemy: aware, in UTC."""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _sqlite_stamp(moment: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text: UTC, no offset, always with microseconds (naive values
    are UTC already). Cut from `isoformat`, which costs a third of `replace` plus `timespec`."""
    if moment.tzinfo is not None and moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    text = moment.isoformat(" ")
    return text[:19] + (text[19:26] if text[19:20] == "." else ".000000")
