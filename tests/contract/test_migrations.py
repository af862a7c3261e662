"""The Alembic migrations build exactly the schema `tables.metadata` describes, both ways."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from encore.adapters.sql.engine import make_engine
from encore.adapters.sql.migrate import (
    HEAD,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from encore.adapters.sql.tables import metadata
from tests.servers import SQL_BACKENDS


@pytest.fixture(params=SQL_BACKENDS)
def blank_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database that no migration has touched yet."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'blank.db'}"
    else:
        create_database: Callable[[], str] = request.getfixturevalue("postgres_database_factory")
        url = create_database()
    engine = make_engine(url)
    yield engine
    engine.dispose()


def schema_diff(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_upgrade_builds_the_schema_of_tables_py(blank_engine: Engine) -> None:
    upgrade(blank_engine)
    assert schema_diff(blank_engine) == []
    assert table_names(blank_engine) == {*metadata.tables, "alembic_version"}


def test_upgrade_reaches_head_and_repeats_harmlessly(blank_engine: Engine) -> None:
    head = head_revision(blank_engine)
    assert head == HEAD  # the quick check on start compares against HEAD
    assert current_revision(blank_engine) is None
    upgrade(blank_engine)
    assert current_revision(blank_engine) == head
    upgrade(blank_engine)
    assert current_revision(blank_engine) == head


def test_downgrade_to_base_and_up_again(blank_engine: Engine) -> None:
    upgrade(blank_engine)
    downgrade(blank_engine, "base")
    assert table_names(blank_engine) == {"alembic_version"}
    assert current_revision(blank_engine) is None
    upgrade(blank_engine)
    assert current_revision(blank_engine) == head_revision(blank_engine)
    assert schema_diff(blank_engine) == []
