"""`encore import` on the real recordings in ../shared/data/audio, with the real tag reader,
ffmpeg and the local media store: tags and covers land in the catalog, every rendition decodes
as what it claims to be, and a second run does nothing."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from encore.adapters.audio.ffmpeg import FfmpegTranscoder
from encore.bootstrap import Services, bootstrap
from encore.catalog.model import Quality
from encore.cli import app
from encore.config import load_settings
from tests.servers import require_server

AUDIO = Path(__file__).parents[2].parent / "shared" / "data" / "audio"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    if not AUDIO.is_dir():
        require_server("The shared audio data", f"{AUDIO} is missing (see ../shared/data)")
    data = tmp_path_factory.mktemp("import")
    result = CliRunner().invoke(app, ["import", str(AUDIO), "--data", str(data), "--jobs", "2"])
    return data, result.output


@pytest.fixture
def services(imported: tuple[Path, str]) -> Iterator[Services]:
    services = bootstrap(load_settings(data_dir=imported[0]))
    yield services
    services.close()


def _track(services: Services, title: str) -> str:
    with services.uow(readonly=True) as unit:
        for artist_name in ("Kevin MacLeod", "Karissa Hobbs", "The U.S. Army Strings"):
            artist = unit.artists.get_by_name(artist_name)
            assert artist is not None, artist_name
            for track in unit.tracks.top_by_artist(artist.id, limit=20):
                if track.title == title:
                    return track.id
    raise AssertionError(f"{title!r} not imported")


def test_every_file_is_imported_and_summarised(imported: tuple[Path, str]) -> None:
    _, output = imported
    assert "imported" in output
    # 5 recordings and 9 beets fixtures, all of them real (if odd) audio files.
    assert "│       14 │       0 │         0 │      0 │" in output


def test_real_tags_and_cover(services: Services) -> None:
    vibe = services.catalog.get_track(_track(services, "Vibe Ace"))
    assert [a.name for a in vibe.artists] == ["Kevin MacLeod"]
    assert vibe.album.name == "Jazz Sampler"
    assert vibe.cover_art_path is not None
    cover = services.media.stat(vibe.cover_art_path)
    assert cover is not None and cover.size > 1000
    album = services.catalog.get_album(vibe.album.id)
    assert album.album.release_date_text == "2011-07-19"
    fishing = services.catalog.get_track(_track(services, "Let's Go Fishin'"))
    assert fishing.album.name == "Age of Flowers"
    assert 130_000 < fishing.track.duration_ms < 136_000


@pytest.mark.parametrize("title", ["Vibe Ace", "Let's Go Fishin'", "Hungarian Dance No. 5"])
def test_every_rendition_decodes_as_what_it_claims(services: Services, title: str) -> None:
    track_id = _track(services, title)
    with services.uow(readonly=True) as unit:
        renditions = unit.renditions.list_for_track(track_id)
        duration_ms = services.catalog.get_track(track_id).track.duration_ms
    transcoder = FfmpegTranscoder()
    assert {r.quality for r in renditions} >= {Quality.LOW, Quality.NORMAL, Quality.PREVIEW}
    for rendition in renditions:
        path = services.media.local_path(rendition.path)
        assert path is not None
        probe = transcoder.probe(path)
        assert probe.codec == rendition.codec
        assert path.stat().st_size == rendition.size_bytes
        if rendition.quality is Quality.PREVIEW:
            assert abs(probe.duration_ms - min(30_000, duration_ms)) < 400
            continue
        assert abs(probe.duration_ms - duration_ms) < 500
        assert rendition.bitrate_kbps is not None
        assert abs(probe.bitrate_kbps - rendition.bitrate_kbps) <= 0.15 * rendition.bitrate_kbps, (
            rendition.quality,
            probe.bitrate_kbps,
        )


def test_lossy_sources_get_no_lossless_and_say_what_is_upscaled(services: Services) -> None:
    # The shared recordings are low-bitrate Vorbis: no FLAC, and the rung above them is marked.
    with services.uow(readonly=True) as unit:
        renditions = unit.renditions.list_for_track(_track(services, "Vibe Ace"))
    qualities = {r.quality: r for r in renditions}
    assert Quality.LOSSLESS not in qualities
    assert not qualities[Quality.LOW].upscaled
    assert qualities[Quality.NORMAL].upscaled


def test_a_second_run_changes_nothing(imported: tuple[Path, str]) -> None:
    data, _ = imported
    result = CliRunner().invoke(app, ["import", str(AUDIO), "--data", str(data)])
    assert result.exit_code == 0
    assert "│        0 │       0 │        14 │      0 │" in result.output
