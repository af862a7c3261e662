from dataclasses import replace

from encore.catalog.audio import AudioTags, plan_ladder
from encore.catalog.model import Quality

TAGS = AudioTags(
    title="t", artists=("a",), album=None, album_artists=(), track_number=None, disc_number=None,
    date=None, genres=(), isrc=None, musicbrainz_track_id=None, musicbrainz_album_id=None,
    musicbrainz_artist_ids=(), explicit=None, duration_ms=1000, codec="flac", bitrate_kbps=None,
    sample_rate=44100, channels=2, lossless=True, cover=None,
)  # fmt: skip


def _plan(**changes: object) -> list[tuple[Quality, bool]]:
    return [(spec.quality, up) for spec, up in plan_ladder(replace(TAGS, **changes))]  # type: ignore[arg-type]


def test_lossless_source_gets_every_rung_and_flac() -> None:
    assert _plan() == [
        (Quality.LOW, False),
        (Quality.NORMAL, False),
        (Quality.HIGH, False),
        (Quality.VERY_HIGH, False),
        (Quality.LOSSLESS, False),
    ]


def test_lossy_source_never_gets_lossless_and_says_when_a_rung_is_above_it() -> None:
    assert _plan(lossless=False, codec="mp3", bitrate_kbps=320) == [
        (Quality.LOW, False),
        (Quality.NORMAL, False),
        (Quality.HIGH, False),
        (Quality.VERY_HIGH, False),
    ]
    assert _plan(lossless=False, codec="mp3", bitrate_kbps=128) == [
        (Quality.LOW, False),
        (Quality.NORMAL, False),
        (Quality.HIGH, True),
    ]
    assert _plan(lossless=False, codec="vorbis", bitrate_kbps=16) == [(Quality.LOW, True)]
    assert _plan(lossless=False, codec="vorbis", bitrate_kbps=None) == [
        (Quality.LOW, False),
        (Quality.NORMAL, False),
        (Quality.HIGH, False),
        (Quality.VERY_HIGH, False),
    ]
