"""The pre-warming plan from real tables: a region's week of plays (as the listening log's
consumer counts them), then followed playlists."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from encore.accounts.model import User
from encore.adapters.sql.engine import make_engine
from encore.adapters.sql.migrate import upgrade
from encore.adapters.sql.popularity import SqlPopularity
from encore.adapters.sql.tables import follows, playlist_tracks, playlists, users
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.catalog.audio import LADDER, PREVIEW
from encore.history.model import Play
from encore.ids import new_id
from encore.streaming.cdn import OriginSelector
from encore.streaming.ports import Warmed
from encore.streaming.precache import PreCache
from encore.streaming.signing import UrlSigner
from tests.builders import make_album, make_artist, make_rendition, make_track, make_user

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


class RecordingWarmer:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def warm(self, urls: list[str]) -> list[Warmed]:
        self.urls += urls
        return [Warmed(url, True, 10) for url in urls]


def test_the_plan_takes_the_regions_week_then_followed_playlists(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'encore.db'}")
    upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    artist = make_artist()
    album = make_album(artist_ids=(artist.id,))
    ids = [new_id() for _ in range(6)]
    with uow() as unit:
        unit.artists.add(artist)
        unit.albums.add(album)
        for track_id in ids:
            unit.tracks.add(make_track(id=track_id, album_id=album.id, artist_ids=(artist.id,)))
            for spec in (*LADDER, PREVIEW):
                unit.renditions.put(
                    make_rendition(
                        track_id=track_id,
                        quality=spec.quality,
                        path=f"audio/{track_id[:2]}/{track_id[2:4]}/{track_id}/{spec.file_name}",
                    )
                )
        unit.commit()
    german, brazilian = make_user(country="DE"), make_user(country="BR")
    plays: list[Play] = []

    def play(user: User, track_id: str, days_ago: float) -> None:
        plays.append(Play(track_id, user.country, NOW - timedelta(days=days_ago)))

    playlist_id = new_id()
    with engine.begin() as connection:
        for user in (german, brazilian):
            connection.execute(insert(users).values(id=user.id, email=user.email,
                password_hash="x", display_name="x", country=user.country, plan="free",
                created_at=NOW))  # fmt: skip

        for _ in range(3):
            play(german, ids[1], 1)  # the region's favourite
        play(german, ids[0], 2)
        for _ in range(5):
            play(german, ids[2], 9)  # older than a week
            play(brazilian, ids[3], 1)  # another region
        connection.execute(insert(playlists).values(id=playlist_id, owner_id=german.id,
            name="Hits", snapshot_id="s", created_at=NOW, updated_at=NOW))  # fmt: skip
        for position, track_id in enumerate((ids[4], ids[1], ids[5])):
            connection.execute(insert(playlist_tracks).values(playlist_id=playlist_id,
                position=position, track_id=track_id, added_at=NOW))  # fmt: skip
        connection.execute(insert(follows).values(user_id=brazilian.id, target_type="playlist",
            target_id=playlist_id, followed_at=NOW))  # fmt: skip
    with uow() as unit:  # as the listening log's consumer counts them
        unit.stats.count(plays, NOW)
        unit.commit()
    warmer = RecordingWarmer()
    precache = PreCache(
        popularity=SqlPopularity(engine),
        signer=UrlSigner(["k" * 32], ttl_s=3600),
        origins=OriginSelector({"eu": ["https://eu1.test", "https://eu2.test"]}),
        warmer=warmer,
        clock=NOW.timestamp,
    )
    plan = precache.plan("eu", per_playlist=2)
    assert plan.track_ids == (ids[1], ids[0], ids[4])
    assert [key.rsplit("/", 1)[1] for key in plan.keys[:3]] == ["96.ogg", "160.ogg", "320.ogg"]
    assert len(plan.keys) == 9
    report = precache.warm(plan)
    assert report.origins == ("https://eu1.test", "https://eu2.test")
    assert len(warmer.urls) == 18
    assert warmer.urls[0].startswith(f"https://eu1.test/{plan.keys[0]}?exp=")
    assert report.bytes == 180
    assert not report.failed
