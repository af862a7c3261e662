"""A fleet (`deploy.fleet`) for a test: on the test server's PostgreSQL, skipped (or failed
under CI) when one of the servers it needs is missing, always stopped afterwards."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from deploy.fleet import Fleet, FleetSpec, FleetUnavailable
from tests import servers


@contextmanager
def running_fleet(workdir: Path, **spec: Any) -> Iterator[Fleet]:
    admin_url = servers.postgres_admin_url()
    servers.check_postgres(admin_url)
    started = Fleet(workdir, FleetSpec(postgres_admin_url=admin_url, **spec))
    try:
        started.start()
    except FleetUnavailable as error:
        servers.require_server("the fleet's servers", str(error))
    try:
        yield started
    finally:
        started.stop()
