"""The listening service and the log's consumers on SQLite and PostgreSQL: offsets kept with
effects, nothing counted twice, now playing's hour."""

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from encore.adapters.cache.memory import MemoryCache
from encore.adapters.events.sqlite_log import SqliteEventLog
from encore.adapters.lake.parquet import ParquetLake
from encore.adapters.sql import tables
from encore.adapters.sql.unit_of_work import SqlUnitOfWork, SqlUnitOfWorkFactory
from encore.catalog.service import CatalogService
from encore.consumers import ConsumerRunner
from encore.events import EventLog
from encore.history.consumers import HistoryConsumer, LakeConsumer
from encore.history.model import EventType, PlayerEvent, Verdict
from encore.history.service import ListeningService
from tests import servers
from tests.builders import make_track, make_user
from tests.contract.storing import add_catalog, add_users, an_album

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture(params=["sqlite", pytest.param("nats", marks=pytest.mark.nats)])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventLog]:
    """The embedded log, or a JetStream stream of the test's own."""
    if request.param == "sqlite":
        opened: EventLog = SqliteEventLog(tmp_path / "events.db", flush_interval_s=0.01)
        yield opened
        opened.close()
        return
    from encore.adapters.events.jetstream import JetStreamEventLog

    jetstream = JetStreamEventLog(
        servers.nats_url(), stream=f"ENCORE_TEST_{secrets.token_hex(4).upper()}"
    )
    yield jetstream
    jetstream.delete_stream()
    jetstream.close()


def setup(
    uow: SqlUnitOfWorkFactory, log: EventLog, cache: MemoryCache
) -> tuple[ListeningService, str, list[str]]:
    user = make_user(created_at=NOW - timedelta(days=30), country="DE")
    add_users(uow, user)
    artist, album = an_album(uow)
    made = tuple(make_track(album_id=album.id, artist_ids=(artist.id,)) for _ in range(3))
    add_catalog(uow, tracks=made)
    service = ListeningService(
        uow=uow,
        events=log,
        cache=cache,
        track_details=CatalogService(uow=uow).get_tracks,
        clock=lambda: NOW,
    )
    return service, user.id, [t.id for t in made]


def ended(n: int, track_id: str, played: int = 215_000) -> PlayerEvent:
    return PlayerEvent(
        client_id=f"e{n}",
        type=EventType.PLAY_ENDED,
        track_id=track_id,
        timestamp=NOW - timedelta(minutes=n),
        duration_played_ms=played,
        completed=True,
    )


class FailingOnce(SqlUnitOfWorkFactory):
    """Its first unit of work fails when committing: a crash between effects and offset."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.failed = False

    def __call__(self, *, readonly: bool = False) -> SqlUnitOfWork:
        unit = super().__call__(readonly=readonly)
        if not readonly and not self.failed:
            self.failed = True

            def crash() -> None:
                raise RuntimeError("killed")

            unit.commit = crash  # type: ignore[method-assign]
        return unit


def test_consumers_apply_each_event_once_across_failures_and_restarts(
    uow: SqlUnitOfWorkFactory, log: EventLog, tmp_path: Path
) -> None:
    service, user_id, tracks = setup(uow, log, MemoryCache(max_entries=10))
    statuses = service.record(user_id=user_id, events=[ended(n, tracks[n % 2]) for n in range(6)])
    assert {s.status for s in statuses} == {Verdict.ACCEPTED}
    service.record(user_id=user_id, events=[ended(n, tracks[n % 2]) for n in range(6)])  # again
    failing = FailingOnce(uow.engine)
    consumer = HistoryConsumer(failing, clock=lambda: NOW)
    runner = ConsumerRunner(log, [consumer], batch=4)
    with pytest.raises(RuntimeError, match="killed"):
        runner.step(consumer)
    assert consumer.position() == 0  # nothing applied, nothing recorded
    runner.catch_up()
    # A new process: the offset comes back from the database, and there is nothing left to do.
    restarted = HistoryConsumer(uow, clock=lambda: NOW)
    assert restarted.position() == log.last_offset("listens")
    assert ConsumerRunner(log, [restarted]).step(restarted) == 0
    with uow(readonly=True) as unit:
        assert len(unit.history.recent(user_id, limit=100)) == 6
        assert [unit.stats.plays(t) for t in tracks] == [3, 3, 0]
        assert unit.stats.top_tracks(
            countries={"DE"}, since=NOW.date() - timedelta(days=7), limit=5
        )
    lake = ParquetLake(tmp_path / "lake")
    lake_consumer = LakeConsumer(lake)
    lake_runner = ConsumerRunner(log, [lake_consumer], batch=5)
    lake_runner.catch_up()
    assert lake_consumer.position() == log.last_offset("listens")
    with lake.connect() as connection:
        assert connection.execute("SELECT count(*) FROM listens").fetchone() == (6,)


def test_the_runner_threads_keep_up_and_stop(uow: SqlUnitOfWorkFactory, log: EventLog) -> None:
    service, user_id, tracks = setup(uow, log, MemoryCache(max_entries=10))
    consumer = HistoryConsumer(uow, clock=lambda: NOW)
    runner = ConsumerRunner(log, [consumer], idle_s=0.01)
    runner.start()
    try:
        for batch in range(5):
            service.record(
                user_id=user_id, events=[ended(batch * 10 + n, tracks[0]) for n in range(10)]
            )
        runner.catch_up(timeout_s=10)
        assert runner.lag() == {"history": 0}
    finally:
        runner.stop()
    with uow(readonly=True) as unit:
        assert unit.stats.plays(tracks[0]) == 50


def test_short_plays_are_history_but_not_counted(uow: SqlUnitOfWorkFactory, log: EventLog) -> None:
    service, user_id, tracks = setup(uow, log, MemoryCache(max_entries=10))
    short = PlayerEvent("s", EventType.SKIPPED, tracks[0], NOW, 10_000, False)
    service.record(user_id=user_id, events=[short])
    consumer = HistoryConsumer(uow, clock=lambda: NOW)
    ConsumerRunner(log, [consumer]).catch_up()
    with uow(readonly=True) as unit:
        (listen,) = unit.history.recent(user_id, limit=5)
        assert listen.skipped and listen.listened_at == NOW - timedelta(seconds=10)
        assert unit.stats.plays(tracks[0]) == 0


def test_now_playing_expires_after_an_hour(uow: SqlUnitOfWorkFactory, log: EventLog) -> None:
    clock = Clock()
    service, user_id, tracks = setup(uow, log, MemoryCache(max_entries=10, clock=clock))
    service.set_now_playing(user_id=user_id, track_id=tracks[0], progress_ms=5, device="car")
    clock.seconds = 3_599
    playing = service.now_playing(user_id=user_id)
    assert playing is not None and (playing.track_id, playing.device) == (tracks[0], "car")
    clock.seconds = 3_601
    assert service.now_playing(user_id=user_id) is None


def test_popularity_fades_when_nobody_plays_and_deleted_tracks_do_not_stop_the_consumer(
    uow: SqlUnitOfWorkFactory, log: EventLog
) -> None:
    service, user_id, tracks = setup(uow, log, MemoryCache(max_entries=10))
    service.record(user_id=user_id, events=[ended(n, tracks[n % 2]) for n in range(20)])
    with uow() as unit:  # deleted after its plays were logged
        unit._require().execute(delete(tables.tracks).where(tables.tracks.c.id == tracks[1]))
        unit.commit()
    now = [NOW]
    consumer = HistoryConsumer(uow, clock=lambda: now[0])
    ConsumerRunner(log, [consumer]).catch_up()
    with uow(readonly=True) as unit:
        assert unit.stats.plays(tracks[0]) == 10
        assert len(unit.history.recent(user_id, limit=100)) == 10
        fresh = unit.tracks.get(tracks[0])
    assert fresh is not None and fresh.popularity > 0
    # Two months without a play, then one play of another track: the refresh decays the rest.
    now[0] = NOW + timedelta(days=60)
    later = PlayerEvent("late", EventType.PLAY_ENDED, tracks[2], NOW, 215_000, True)
    service.record(user_id=user_id, events=[later])
    ConsumerRunner(log, [consumer]).catch_up()
    with uow(readonly=True) as unit:
        faded = unit.tracks.get(tracks[0])
    assert faded is not None and faded.popularity < fresh.popularity
