"""Shared fixtures: the SQL engines every contract suite runs on.

`engine` runs a test twice: on an embedded SQLite file and on the real PostgreSQL server (the
latter marked `postgres`, so `-m 'not postgres'` leaves it out). Both schemas come from the
Alembic migrations, never from `metadata.create_all`, so the tests also exercise the migrations.
"""

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from encore.adapters.sql.engine import make_engine
from encore.adapters.sql.migrate import upgrade
from encore.adapters.sql.tables import metadata
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from tests import servers

# PostgreSQL sessions run in a zone with an odd offset, so that a timestamp that is not converted
# back to UTC shows (servers are often set to local time).
POSTGRES_SESSION_TIMEZONE = "America/St_Johns"


@pytest.fixture(autouse=True)
def _log_records_as_found() -> Iterator[None]:
    """A command run in-process (`encore serve`, `consume`, ...) installs log cleaning for the
    whole process (`log_hygiene.install`): each test starts with the record factory as found."""
    factory = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(factory)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The test server's maintenance database; skips (or fails under CI) when it is down."""
    url = servers.postgres_admin_url()
    servers.check_postgres(url)
    return url


@pytest.fixture(scope="session")
def postgres_database_factory(postgres_admin_url: str) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty databases on the test server; drops them all when the session ends."""
    created: list[str] = []

    def create() -> str:
        url = servers.create_database(postgres_admin_url)
        created.append(url)
        return url

    yield create
    for url in created:
        servers.drop_database(postgres_admin_url, url)


@pytest.fixture(scope="session")
def postgres_session_engine(postgres_database_factory: Callable[[], str]) -> Iterator[Engine]:
    """One migrated database for the whole session; `postgres_engine` empties it between tests."""
    engine = make_engine(
        postgres_database_factory(),
        connect_args={"options": f"-c timezone={POSTGRES_SESSION_TIMEZONE}"},
    )
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_session_engine: Engine) -> Iterator[Engine]:
    engine = postgres_session_engine
    yield engine
    names = ", ".join(
        engine.dialect.identifier_preparer.format_table(table) for table in metadata.sorted_tables
    )
    with engine.begin() as connection:
        # A test that leaked a connection would otherwise hang here instead of failing.
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        connection.execute(text(f"TRUNCATE TABLE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'encore.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=servers.SQL_BACKENDS)
def engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated, empty database: SQLite, then PostgreSQL."""
    resolved: Engine = request.getfixturevalue(f"{request.param}_engine")
    return resolved


@pytest.fixture
def uow(engine: Engine) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(engine)


@pytest.fixture(scope="session")
def spark_master() -> str:
    """Spark in this process's `local[2]` for the `spark` tests; skips (or fails under CI)
    without pyspark or a Java runtime."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        servers.require_server("Spark", "pyspark is not installed (the `spark` extra)")
    if shutil.which("java") is None:
        servers.require_server("Spark", "no Java runtime on PATH")
    return "local[2]"
