"""Cached playable facts: served warm, refreshed behind the request once they are a minute old,
so that a change made by another process (an import) is seen without a crowd at the database."""

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from encore.accounts.model import Entitlement, Plan
from encore.adapters.cache.memory import MemoryCache
from encore.adapters.events.sqlite_log import SqliteEventLog
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.catalog.audio import LADDER
from encore.catalog.model import Quality
from encore.errors import NotFound, NotLicensed
from encore.ids import new_id
from encore.streaming.cdn import OriginSelector
from encore.streaming.service import PLAYABLE_FRESH_S, StreamService
from encore.streaming.signing import UrlSigner
from tests.builders import make_album, make_artist, make_rendition, make_track

ORIGIN = "http://edge.test"


class Listeners:
    def __init__(self) -> None:
        self.known = {"de": Entitlement("de", "DE", Plan.PREMIUM)}

    def entitlement(self, user_id: str) -> Entitlement:
        return self.known[user_id]

    def cached_entitlement(self, user_id: str) -> Entitlement | None:
        return self.known.get(user_id)


class Later:
    """Background work held until the test runs it."""

    def __init__(self) -> None:
        self.queued: list[Callable[[], None]] = []

    def __call__(self, work: Callable[[], None]) -> None:
        self.queued.append(work)

    def run_all(self) -> None:
        queued, self.queued = self.queued, []
        for work in queued:
            work()


@dataclasses.dataclass
class Setup:
    streams: StreamService
    uow: SqlUnitOfWorkFactory
    track_id: str
    later: Later
    now: list[float]


@pytest.fixture
def setup(sqlite_engine: Engine, tmp_path: Path) -> Iterator[Setup]:
    uow = SqlUnitOfWorkFactory(sqlite_engine)
    artist = make_artist()
    album = make_album(artist_ids=(artist.id,))
    track = make_track(album_id=album.id, artist_ids=(artist.id,))
    with uow() as work:
        work.artists.add(artist)
        work.albums.add(album)
        work.tracks.add(track)
        for spec in LADDER[:4]:
            work.renditions.put(make_rendition(track_id=track.id, quality=spec.quality))
        work.commit()
    now = [1_800_000_000.0]
    later = Later()
    events = SqliteEventLog(tmp_path / "events.db")
    streams = StreamService(
        uow=uow,
        entitlements=Listeners(),
        signer=UrlSigner(["k" * 32], ttl_s=3600),
        origins=OriginSelector({}),
        events=events,
        cache=MemoryCache(max_entries=100),
        clock=lambda: now[0],
        background=later,
        refresh_gather_s=0,
    )
    yield Setup(streams, uow, track.id, later, now)
    events.close()


def _grant(setup: Setup) -> object:
    return setup.streams.grant_if_warm(
        user_id="de", track_id=setup.track_id, quality=Quality.NORMAL, default_origin=ORIGIN
    )


def _license_only_in(setup: Setup, *countries: str) -> None:
    """What an import in another process does: change the track, telling no one here."""
    with setup.uow() as work:
        track = work.tracks.get(setup.track_id)
        assert track is not None
        work.tracks.update(dataclasses.replace(track, available_countries=frozenset(countries)))
        work.commit()


def test_a_stale_playable_is_served_while_one_refresh_runs_behind_it(setup: Setup) -> None:
    assert _grant(setup) is None  # cold: the caller must take the blocking path
    setup.streams.playable(setup.track_id)
    assert _grant(setup) is not None
    assert setup.later.queued == []  # fresh: nothing to do

    _license_only_in(setup, "US")
    setup.now[0] += PLAYABLE_FRESH_S + 1
    for _ in range(5):
        assert _grant(setup) is not None  # stale, still served, never a database read here
    assert len(setup.later.queued) == 1  # one refresh, however many requests saw it stale

    setup.later.run_all()
    with pytest.raises(NotLicensed):
        _grant(setup)
    assert setup.later.queued == []  # the refreshed copy is fresh again


def test_a_playable_within_its_minute_is_not_read_again(setup: Setup) -> None:
    setup.streams.playable(setup.track_id)
    _license_only_in(setup, "US")
    setup.now[0] += PLAYABLE_FRESH_S * 0.7  # inside the freshest spread (75 to 100 %)
    assert _grant(setup) is not None
    assert setup.later.queued == []


def test_a_track_deleted_elsewhere_is_dropped_by_its_refresh(
    setup: Setup, sqlite_engine: Engine
) -> None:
    setup.streams.playable(setup.track_id)
    with sqlite_engine.begin() as connection:
        connection.execute(text("DELETE FROM tracks WHERE id = :id"), {"id": setup.track_id})
    setup.now[0] += PLAYABLE_FRESH_S + 1
    assert _grant(setup) is not None
    setup.later.run_all()
    assert _grant(setup) is None
    with pytest.raises(NotFound):
        setup.streams.grant(
            user_id="de", track_id=setup.track_id, quality=Quality.NORMAL, default_origin=ORIGIN
        )


def test_a_failed_refresh_keeps_the_stale_copy_and_is_tried_again(
    setup: Setup, sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    setup.streams.playable(setup.track_id)
    setup.now[0] += PLAYABLE_FRESH_S + 1
    _grant(setup)
    sqlite_engine.dispose()
    with sqlite_engine.begin() as connection:  # the table gone: every read fails
        connection.execute(text("ALTER TABLE tracks RENAME TO tracks_away"))
    setup.later.run_all()
    assert "Could not refresh the playable facts of 1 tracks" in caplog.text
    assert _grant(setup) is not None  # still served
    assert len(setup.later.queued) == 1  # and tried again by the next request


def test_tracks_that_go_stale_together_are_refreshed_by_one_read(setup: Setup) -> None:
    with setup.uow() as work:
        first = work.tracks.get(setup.track_id)
        assert first is not None
        others = [dataclasses.replace(first, id=new_id(), content_hash=None) for _ in range(3)]
        for track in others:
            work.tracks.add(track)
            work.renditions.put(make_rendition(track_id=track.id, quality=Quality.NORMAL))
        work.commit()
    track_ids = [setup.track_id, *(t.id for t in others)]
    for track_id in track_ids:
        setup.streams.playable(track_id)
    setup.now[0] += PLAYABLE_FRESH_S + 1
    for track_id in track_ids:
        assert setup.streams.grant_if_warm(
            user_id="de", track_id=track_id, quality=Quality.NORMAL, default_origin=ORIGIN
        )
    assert len(setup.later.queued) == 1
    setup.later.run_all()
    for track_id in track_ids:  # all fresh again: asking queues nothing
        setup.streams.grant_if_warm(
            user_id="de", track_id=track_id, quality=Quality.NORMAL, default_origin=ORIGIN
        )
    assert setup.later.queued == []
