"""Personalization's SQL adapters on SQLite and PostgreSQL: what a batch run reads, and Encore's
own playlists replaced whole per listener."""

from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from encore.adapters.sql.recommend import (
    SqlGeneratedPlaylists,
    SqlInteractionSource,
    SqlListeners,
)
from encore.adapters.sql.tables import playlists
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.catalog.model import Quality
from encore.history.model import Play
from encore.library.model import FollowKind
from encore.recommend.domain import GeneratedPlaylist, PlaylistKind, Source
from tests.builders import (
    NOW,
    make_album,
    make_artist,
    make_listen,
    make_rendition,
    make_track,
    make_user,
)
from tests.contract.storing import add_catalog, add_users


@pytest.fixture
def world(uow: SqlUnitOfWorkFactory) -> dict[str, list[str]]:
    users = [make_user(country="SE"), make_user(country="DE")]
    add_users(uow, *users)
    artists = [make_artist(name=f"A{n}") for n in range(2)]
    albums = [
        make_album(artist_ids=(artists[0].id,), release_date=date(2020, 1, 1)),
        make_album(artist_ids=(artists[1].id,), release_date=(NOW - timedelta(days=3)).date()),
    ]
    tracks = [
        make_track(
            album_id=albums[n % 2].id,
            artist_ids=(artists[n % 2].id,),
            genres=("rock",) if n % 2 else (),
            title=f"T{n}",
        )
        for n in range(6)
    ]
    add_catalog(uow, artists=tuple(artists), albums=tuple(albums), tracks=tuple(tracks))
    u, t = [x.id for x in users], [x.id for x in tracks]
    with uow() as unit:
        for track_id in t:  # rows only: recommendations offer only tracks with audio
            unit.renditions.put(make_rendition(track_id=track_id, quality=Quality.NORMAL))
        unit.history.add(
            [
                make_listen(user_id=u[0], track_id=t[0]),
                make_listen(user_id=u[0], track_id=t[0], listened_at=NOW - timedelta(days=200)),
                # Skipped after 5 s: spared (played lately) but not counted as a play.
                make_listen(user_id=u[0], track_id=t[1], duration_played_ms=5_000, completed=False),
            ]
        )
        unit.stats.count([Play(t[2], "SE", NOW), Play(t[2], "SE", NOW), Play(t[3], "SE", NOW)], NOW)
        unit.likes.like(u[1], [t[4]], NOW)
        unit.follows.follow(u[1], FollowKind.ARTIST, [artists[1].id], NOW)
        unit.commit()
    return {"users": u, "tracks": t, "artists": [a.id for a in artists]}


def test_the_snapshot_reads_plays_spared_tracks_follows_and_the_catalog(
    engine: Engine, world: dict[str, list[str]]
) -> None:
    inputs = SqlInteractionSource(engine).snapshot(NOW + timedelta(hours=1))
    u = [inputs.user_ids.index(x) for x in world["users"]]
    t = [inputs.track_ids.index(x) for x in world["tracks"]]
    assert inputs.plays[u[0], t[0]] == 2  # both plays, the old one too
    assert inputs.plays[u[0], t[1]] == 0  # a five-second skip is no play
    assert set(inputs.recent[u[0]].indices.tolist()) == {t[0], t[1]}
    assert inputs.liked[u[1]].indices.tolist() == [t[4]]
    artist = {a: inputs.artist_names.index(f"A{n}") for n, a in enumerate(world["artists"])}
    assert inputs.followed[u[1]].indices.tolist() == [artist[world["artists"][1]]]
    assert inputs.item_artist[t[1]] == artist[world["artists"][1]]
    assert inputs.item_genre[t[0]] == -1
    assert inputs.item_genre[t[1]] >= 0
    assert inputs.item_released[t[1]] == np.datetime64((NOW - timedelta(days=3)).date())
    assert inputs.popular["SE"].tolist() == [t[2], t[3]]
    assert inputs.user_countries[u[1]] == "DE"
    assert inputs.user_zones[u[0]] == "Europe/Stockholm"


def made(
    user: str, tracks: list[str], *, at_day: int, source: Source = Source.MODEL
) -> GeneratedPlaylist:
    start = NOW + timedelta(days=at_day)
    return GeneratedPlaylist(
        user_id=user,
        kind=PlaylistKind.DISCOVER_WEEKLY,
        name="Discover Weekly",
        description="",
        track_ids=tuple(tracks),
        source=source,
        period_start=start,
        generated_at=start,
        expires_at=start + timedelta(days=7),
    )


def test_new_playlists_replace_the_old_in_one_go_and_expire(
    engine: Engine, world: dict[str, list[str]]
) -> None:
    store = SqlGeneratedPlaylists(engine)
    u, t = world["users"], world["tracks"]
    assert store.latest(u[0], PlaylistKind.DISCOVER_WEEKLY, now=NOW) == []
    store.replace(
        [made(u[0], t[:3], at_day=0, source=Source.POPULARITY), made(u[1], t[3:], at_day=0)]
    )
    (first,) = store.latest(u[0], PlaylistKind.DISCOVER_WEEKLY, now=NOW)
    assert first.track_ids == tuple(t[:3])
    assert first.source is Source.POPULARITY
    store.replace([made(u[0], t[2:5], at_day=7)])
    (second,) = store.latest(u[0], PlaylistKind.DISCOVER_WEEKLY, now=NOW + timedelta(days=8))
    assert second.track_ids == tuple(t[2:5])
    assert second.id != first.id
    # The older one went in the same transaction; the other listener's stayed.
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(playlists)).scalar() == 2
    assert store.periods(PlaylistKind.DISCOVER_WEEKLY)[u[0]] == (
        NOW + timedelta(days=7),
        Source.MODEL,
    )
    # Expired: not served.
    assert store.latest(u[0], PlaylistKind.DISCOVER_WEEKLY, now=NOW + timedelta(days=15)) == []
    # A listener deleted since the run read its inputs is passed over.
    store.replace([made("0" * 22, t[:1], at_day=0)])


def test_serving_lookups(engine: Engine, world: dict[str, list[str]]) -> None:
    listeners = SqlListeners(engine)
    u, t = world["users"], world["tracks"]
    assert listeners.locate(u[0]) == ("SE", "Europe/Stockholm")
    assert listeners.locate("0" * 22) is None
    assert listeners.spared(u[0], since=NOW - timedelta(days=90)) == {t[0], t[1]}
    assert listeners.spared(u[1], since=NOW) == {t[4]}
    assert listeners.popular_tracks("SE", now=NOW, limit=2) == [t[2], t[3]]
    # Nothing played in Germany: the most popular tracks anywhere.
    assert listeners.popular_tracks("DE", now=NOW, limit=2) == [t[2], t[3]]
    assert len(listeners.popular_tracks("DE", now=NOW, limit=10)) == 6
    new = listeners.new_releases(since=NOW - timedelta(days=14), until=NOW, limit=10, country="SE")
    assert set(new) == {
        t[1],
        t[3],
        t[5],
    }
    facets = listeners.facets(t[:2])
    assert facets[t[0]][1] == -1
    assert facets[t[1]][1] >= 0
    assert listeners.seed_tracks("track", t[0], user_id=u[0]) == [t[0]]
    assert listeners.seed_tracks("track", "0" * 22, user_id=u[0]) is None
    assert set(listeners.seed_tracks("artist", world["artists"][1], user_id=u[0]) or []) == {
        t[1],
        t[3],
        t[5],
    }
    assert listeners.seed_tracks("playlist", "0" * 22, user_id=u[0]) is None


def test_tracks_without_audio_or_licence_are_never_offered(
    engine: Engine, uow: SqlUnitOfWorkFactory, world: dict[str, list[str]]
) -> None:
    album = make_album(artist_ids=(world["artists"][1],), release_date=NOW.date())
    silent = make_track(album_id=album.id, artist_ids=(world["artists"][1],), title="Silent")
    abroad = make_track(
        album_id=album.id,
        artist_ids=(world["artists"][1],),
        title="Abroad",
        available_countries=frozenset({"US"}),
    )
    add_catalog(uow, artists=(), albums=(album,), tracks=(silent, abroad))
    with uow() as unit:
        unit.renditions.put(make_rendition(track_id=silent.id, quality=Quality.PREVIEW))
        unit.renditions.put(make_rendition(track_id=abroad.id, quality=Quality.NORMAL))
        # The most played in Sweden, both.
        unit.stats.count([Play(silent.id, "SE", NOW), Play(abroad.id, "SE", NOW)] * 5, NOW)
        unit.commit()
    listeners = SqlListeners(engine)
    t = world["tracks"]
    assert listeners.popular_tracks("SE", now=NOW, limit=2) == [t[2], t[3]]
    assert abroad.id in listeners.popular_tracks("US", now=NOW, limit=10)
    assert silent.id not in listeners.popular_tracks("US", now=NOW, limit=10)
    since = NOW - timedelta(days=14)
    fresh = listeners.new_releases(since=since, until=NOW, limit=10, country="SE")
    assert set(fresh) == {t[1], t[3], t[5]}
    assert listeners.playable([silent.id, abroad.id, t[0]], country="SE") == {t[0]}
    assert listeners.playable([silent.id, abroad.id, t[0]], country=None) == {abroad.id, t[0]}
    inputs = SqlInteractionSource(engine).snapshot(NOW)
    number = {track_id: n for n, track_id in enumerate(inputs.track_ids)}
    assert not inputs.available_in("SE")[[number[silent.id], number[abroad.id]]].any()
    assert inputs.available_in("US")[[number[abroad.id], number[t[0]]]].all()
    assert not inputs.available_in("US")[number[silent.id]]
