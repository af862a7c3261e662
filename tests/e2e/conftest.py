"""An Encore instance on a temporary data directory, and an HTTP client for it."""

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.pool import NullPool

from encore.accounts.passwords import Passwords
from encore.adapters.sql import migrate
from encore.adapters.sql.engine import make_engine
from encore.api.app import create_app
from encore.bootstrap import Services, bootstrap
from encore.config import load_settings

# Argon2 at its cheapest: the tests are about behaviour, not about hashing cost.
FAST_PASSWORDS = Passwords(time_cost=1, memory_cost_kib=256)
PASSWORD = "correct horse battery"
LOOPBACK = ("127.0.0.1", 50000)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the newest schema revision, migrated once per session: each
    instance starts from a copy, since running the migrations costs a third of a second."""
    path = tmp_path_factory.mktemp("migrated") / "encore.db"
    engine = make_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def make_services(tmp_path: Path, migrated_database: Path) -> Iterator[Callable[..., Services]]:
    made: list[Services] = []

    def make(**settings: Any) -> Services:
        # Batch runs happen when a test makes them, not on the in-server schedule.
        settings.setdefault("recommend_check_s", 0)
        data_dir = tmp_path / f"instance-{len(made)}"
        if settings.get("database_url") is None and not data_dir.exists():
            data_dir.mkdir(parents=True)
            shutil.copyfile(migrated_database, data_dir / "encore.db")
        services = bootstrap(load_settings(data_dir=data_dir, **settings), passwords=FAST_PASSWORDS)
        made.append(services)
        return services

    yield make
    for services in made:
        services.close()


@pytest.fixture
def services(make_services: Callable[..., Services]) -> Services:
    return make_services()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    # From the loopback address, as a client on the server's own host: `/metrics` answers those.
    with TestClient(
        create_app(services), raise_server_exceptions=False, client=LOOPBACK
    ) as test_client:
        yield test_client


class Listener:
    """A signed-up, signed-in user of a test client."""

    def __init__(self, client: TestClient, email: str, country: str = "SE") -> None:
        self.email = email
        created = client.post(
            "/api/v1/users", json={"email": email, "password": PASSWORD, "country": country}
        )
        assert created.status_code == 201, created.text
        self.id: str = created.json()["id"]
        tokens = client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": email, "password": PASSWORD},
        )
        assert tokens.status_code == 200, tokens.text
        self.access_token: str = tokens.json()["access_token"]
        self.refresh_token: str = tokens.json()["refresh_token"]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@pytest.fixture
def listener(client: TestClient) -> Listener:
    return Listener(client, "ada@example.com")


@pytest.fixture
def make_listener(client: TestClient) -> Callable[[str], Listener]:
    return lambda email: Listener(client, email)
