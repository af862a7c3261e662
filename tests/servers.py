"""Real servers for the marked tests: find them, else skip (locally) or fail (under CI)."""

import os
import secrets
from typing import NoReturn

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from encore.adapters.sql.engine import make_engine

# Parameters of the fixtures that run a test once per SQL backend; PostgreSQL's carry the marker.
SQL_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]

POSTGRES_URL_VARIABLE = "ENCORE_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTGRES_HINT = (
    f"start one (e.g. `pg_ctlcluster 15 main start` or `docker run -p 5432:5432 "
    f"-e POSTGRES_HOST_AUTH_METHOD=trust postgres:15`) or point {POSTGRES_URL_VARIABLE} at one; "
    f"deselect these tests with `-m 'not postgres'`"
)


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_server(name: str, reason: str) -> NoReturn:
    """Skip the test for want of `name`; under CI (`CI=true`) a missing server fails it instead."""
    message = f"{name} is not available: {reason}"
    if under_ci():
        pytest.fail(f"{message} (CI=true, so a missing server is a failure)", pytrace=False)
    pytest.skip(message)


def postgres_admin_url() -> str:
    """The URL of the test server's maintenance database, from the environment or the default."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or DEFAULT_POSTGRES_URL


def _admin_engine(admin_url: str) -> Engine:
    return make_engine(
        admin_url,
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": 2},
    )


def check_postgres(admin_url: str) -> None:
    """Connect once, quickly; on failure skip or fail through `require_server`."""
    shown = make_url(admin_url).render_as_string(hide_password=True)
    problem: str | None = None
    try:
        engine = _admin_engine(admin_url)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except ModuleNotFoundError as error:
        problem = f"its driver is missing ({error}); pip install -e '.[postgres]'"
    except OperationalError as error:
        cause = str(error.orig or error).strip().splitlines()[0]
        problem = f"cannot connect to {shown} ({cause}); {POSTGRES_HINT}"
    if problem is not None:
        # Outside the `except`, so the report is the one line above, not a chained traceback.
        require_server("PostgreSQL", problem)


def create_database(admin_url: str) -> str:
    """Create an empty, uniquely named database and return its URL."""
    name = f"encore_test_{secrets.token_hex(6)}"
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, database_url: str) -> None:
    """Drop a database made by `create_database`, closing any connection still open on it."""
    name = make_url(database_url).database
    assert name is not None
    assert name.startswith("encore_test_")
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


NATS_URL_VARIABLE = "ENCORE_TEST_NATS_URL"
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"


def nats_url() -> str:
    """The JetStream server for the `nats` tests; skips (or fails under CI) when it is down."""
    import socket
    from urllib.parse import urlsplit

    url = os.environ.get(NATS_URL_VARIABLE) or DEFAULT_NATS_URL
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 4222), 2).close()
    except OSError as error:
        require_server(
            "NATS",
            f"cannot connect to {url} ({error}); start `nats-server -js` or point "
            f"{NATS_URL_VARIABLE} at one; deselect these tests with `-m 'not nats'`",
        )
    return url
