"""Small helpers shared by the SQL repositories."""

from datetime import UTC, datetime
from typing import Any


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for timezone-aware columns: they are UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def utc_required(value: datetime) -> datetime:
    result = utc(value)
    assert result is not None
    return result


def rows_as_dicts(rows: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in rows]
