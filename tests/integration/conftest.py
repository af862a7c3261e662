"""The Swift-backed S3 fixtures (one cluster per session, shared with `tests/contract`), and a
streaming replica of the test PostgreSQL server (one per session)."""

from collections.abc import Iterator

import pytest

from tests.integration.swift import s3_store_factory, swift_s3
from tests.postgres_replica import Replica, running_replica

__all__ = ["postgres_replica", "s3_store_factory", "swift_s3"]


@pytest.fixture(scope="session")
def postgres_replica(postgres_admin_url: str) -> Iterator[Replica]:
    with running_replica(postgres_admin_url) as replica:
        yield replica
