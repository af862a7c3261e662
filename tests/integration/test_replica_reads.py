"""Catalog reads on a real PostgreSQL streaming replica, and their fall back to the primary when
the replica dies or lags, and back again when it recovers.

Which server answered is counted from SQLAlchemy's own statement events on each engine.
"""

import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from encore.accounts.passwords import Passwords
from encore.bootstrap import Services, bootstrap
from encore.config import load_settings
from tests.builders import make_album, make_artist, make_track
from tests.postgres_replica import Replica

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

MAX_LAG_S = 1.0
RECHECK_S = 0.2


class Reads:
    """How many reads of a table each engine ran, counted from statements sent."""

    def __init__(self, **engines: Engine) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self._listeners = [(engine, self._counter(name)) for name, engine in engines.items()]
        for engine, listener in self._listeners:
            event.listen(engine, "before_cursor_execute", listener)

    def _counter(self, name: str) -> Callable[..., None]:
        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                for table in ("tracks", "playlists"):
                    if f"FROM {table}" in statement:
                        self.counts[name, table] += 1

        return count

    def during(
        self, read: Callable[[], object], table: str = "tracks"
    ) -> tuple[Counter[str], float]:
        """Reads of `table` by engine while `read` ran, and how long it took."""
        before = self.counts.copy()
        started = time.monotonic()
        read()
        took = time.monotonic() - started
        return Counter(
            {name: n for (name, t), n in (self.counts - before).items() if t == table}
        ), took

    def close(self) -> None:
        for engine, listener in self._listeners:
            event.remove(engine, "before_cursor_execute", listener)


@pytest.fixture(scope="module")
def services(
    postgres_database_factory: Callable[[], str],
    postgres_replica: Replica,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Services]:
    url = postgres_database_factory()
    made = bootstrap(
        load_settings(
            data_dir=tmp_path_factory.mktemp("replica-reads"),
            database_url=url,
            database_replica_url=postgres_replica.url_of(url),
            database_replica_max_lag_s=MAX_LAG_S,
            database_replica_recheck_s=RECHECK_S,
            recommend_check_s=0,
        ),
        passwords=Passwords(time_cost=1, memory_cost_kib=256),
    )
    yield made
    made.close()


@pytest.fixture(scope="module")
def track_id(services: Services) -> str:
    artist = services.catalog.add_artist(make_artist())
    album = services.catalog.add_album(make_album(artist_ids=(artist.id,)))
    return services.catalog.add_track(make_track(album_id=album.id, artist_ids=(artist.id,))).id


@pytest.fixture
def reads(services: Services, track_id: str) -> Iterator[Reads]:
    routing = services.replica_reads
    assert routing is not None
    counted = Reads(primary=services.engine, replica=routing.replica)
    _until(lambda: _has_track(services, track_id), "the replica has the track")
    _until(routing.probe, "the replica is healthy")
    yield counted
    counted.close()


def _has_track(services: Services, track_id: str) -> bool:
    assert services.replica_reads is not None
    with services.replica_reads.replica.connect() as connection:
        found = connection.execute(text("SELECT 1 FROM tracks WHERE id = :id"), {"id": track_id})
        return bool(found.all())


def _until(condition: Callable[[], object], what: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def test_catalog_reads_go_to_a_healthy_replica(
    services: Services, track_id: str, reads: Reads
) -> None:
    used, _ = reads.during(lambda: services.catalog.get_track(track_id))
    assert used["replica"] >= 1 and used["primary"] == 0
    # A listener's own data is not the catalog's: it is read from the primary.
    listener = "0" * 32
    used, _ = reads.during(
        lambda: services.library.playlists_of(user_id=listener, limit=10, offset=0), "playlists"
    )
    assert used["primary"] >= 1 and used["replica"] == 0


def test_a_dead_replica_sends_reads_to_the_primary_at_once_and_they_return(
    services: Services, track_id: str, reads: Reads, postgres_replica: Replica
) -> None:
    postgres_replica.stop()
    try:
        for _ in range(20):
            used, took = reads.during(lambda: services.catalog.get_track(track_id))
            assert used["primary"] >= 1 and used["replica"] == 0
            assert took < 0.5  # no connect timeout: connection refused, then remembered down
        assert services.replica_reads is not None
        assert not services.replica_reads.uses_replica()
    finally:
        postgres_replica.start()
    # No test calls probe: requests alone bring the replica back.
    _until(lambda: reads.during(lambda: services.catalog.get_track(track_id))[0]["replica"], "back")


def test_a_lagging_replica_sends_reads_to_the_primary_until_it_catches_up(
    services: Services, track_id: str, reads: Reads, postgres_replica: Replica
) -> None:
    postgres_replica.run("SELECT pg_wal_replay_pause()")
    try:
        services.catalog.set_popularity(track_id, 87)
        # Within the bound the replica may answer from before the write; beyond it, the primary.
        _until(
            lambda: services.catalog.get_track(track_id).track.popularity == 87,
            "reads see the write the replica has not replayed",
        )
        used, _ = reads.during(lambda: services.catalog.get_track(track_id))
        assert used["primary"] >= 1 and used["replica"] == 0
        assert postgres_replica.run("SELECT pg_is_wal_replay_paused()") is True
    finally:
        postgres_replica.run("SELECT pg_wal_replay_resume()")
    _until(lambda: reads.during(lambda: services.catalog.get_track(track_id))[0]["replica"], "back")
    assert services.catalog.get_track(track_id).track.popularity == 87
