"""What a database holds, counted: rows per table, its schema revision, a sample of renditions.

Used by backups (the counts go into the manifest) and by `encore backup check`, on SQLite and
on PostgreSQL alike.
"""

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from encore.adapters.sql.tables import metadata, renditions
from encore.backup.manifest import MediaEntry


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in each of Encore's tables that exists in the database, by table name."""
    counts: dict[str, int] = {}
    with engine.connect() as connection:
        present = set(engine.dialect.get_table_names(connection))
        for name, table in sorted(metadata.tables.items()):
            if name in present:
                counts[name] = int(
                    connection.execute(select(func.count()).select_from(table)).scalar_one()
                )
    return counts


def schema_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no such table: a database Encore never migrated
        return None


def sample_renditions(engine: Engine, count: int) -> list[MediaEntry]:
    """Up to `count` renditions picked at random: their media key, size and SHA-256."""
    query = (
        select(renditions.c.path, renditions.c.size_bytes, renditions.c.checksum)
        .order_by(func.random())
        .limit(count)
    )
    with engine.connect() as connection:
        return [
            MediaEntry(path, size, checksum) for path, size, checksum in connection.execute(query)
        ]
