"""`encore edge warm` against a running Encore edge: the region's plays, fetched over HTTP."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from encore.bootstrap import bootstrap
from encore.catalog.audio import LADDER
from encore.cli import app as cli
from encore.config import load_settings
from encore.history.model import EventType, PlayerEvent
from tests.builders import make_album, make_artist, make_rendition, make_track
from tests.e2e.conftest import FAST_PASSWORDS
from tests.e2e.running import running_encore


def _seed(data: Path) -> int:
    """Two tracks with stored audio, played today by a listener in Germany; the bytes of
    their normal, high and very high renditions."""
    services = bootstrap(load_settings(data_dir=data), passwords=FAST_PASSWORDS)
    try:
        listener = services.accounts.add_user(
            email="lena@example.de", password="long enough password", country="DE"
        )
        artist = make_artist()
        album = make_album(artist_ids=(artist.id,))
        now = datetime.now(UTC)
        size = 0
        played = []
        with services.uow() as uow:
            uow.artists.add(artist)
            uow.albums.add(album)
            for n in range(2):
                track = make_track(album_id=album.id, artist_ids=(artist.id,))
                uow.tracks.add(track)
                for spec in LADDER[:4]:
                    key = f"audio/{track.id[:2]}/{track.id[2:4]}/{track.id}/{spec.file_name}"
                    body = spec.file_name.encode() * (1000 + n)
                    services.media.put_bytes(key, body, content_type="audio/ogg")
                    uow.renditions.put(
                        make_rendition(track_id=track.id, quality=spec.quality, path=key)
                    )
                    size += len(body) if spec.bitrate_kbps != 24 else 0
                played.append(
                    PlayerEvent(f"play-{n}", EventType.PLAY_ENDED, track.id, now, 60_000, True)
                )
            uow.commit()
        # Through the listening log, whose consumer counts the plays per country and day.
        services.listening.record(user_id=listener.id, events=played)
        services.pipeline.catch_up()
    finally:
        services.close()
    return size


@pytest.mark.slow
def test_warming_fetches_the_regions_plays_through_the_edge(tmp_path: Path) -> None:
    data = tmp_path / "instance"
    size = _seed(data)
    with running_encore(data) as server:
        origin = f"http://127.0.0.1:{server.port}"
        warmed = CliRunner().invoke(
            cli, ["edge", "warm", "--region", "eu", "--origin", origin, "--data", str(data)]
        )
        assert warmed.exit_code == 0, warmed.output
        assert "2 tracks, 6 files to warm in eu" in warmed.output
        assert f"Warmed 6 of 6 fetches ({size / 1e6:.1f} MB)" in warmed.output
        nothing = CliRunner().invoke(
            cli, ["edge", "warm", "--region", "asia", "--origin", origin, "--data", str(data)]
        )
        assert "0 tracks, 0 files" in nothing.output
    unknown = CliRunner().invoke(cli, ["edge", "warm", "--region", "moon", "--data", str(data)])
    assert unknown.exit_code == 1
    assert "Unknown region" in unknown.output
    no_origin = CliRunner().invoke(cli, ["edge", "warm", "--region", "eu", "--data", str(data)])
    assert no_origin.exit_code == 1
    assert "No edge origin" in no_origin.output
