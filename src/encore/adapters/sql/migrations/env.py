"""Alembic environment: runs on the connection that `encore.adapters.sql.migrate` hands over."""

from typing import Any, Literal

from alembic import context

from encore.adapters.sql.tables import UtcDateTime, metadata


def _render_item(kind: str, item: Any, autogen_context: Any) -> str | Literal[False]:
    # Revisions spell the plain column type, so they never import Encore's table module.
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite alters tables by copying them; batch mode does that transparently.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=_render_item,
)
with context.begin_transaction():
    context.run_migrations()
