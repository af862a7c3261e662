"""The stream answer is rendered by hand for speed; it must stay what `StreamRead` documents."""

from datetime import UTC, datetime

import pytest

from encore.catalog.model import Quality
from encore.streaming.model import StreamGrant
from encore.streaming.schemas import StreamRead, stream_json


def grant(**changes: object) -> StreamGrant:
    fields: dict[str, object] = {
        "track_id": "t" * 22,
        "stream_url": "https://eu.cdn.example/audio/ab/cd/t/96.ogg?exp=1800000000&sig=ab12",
        "format": "ogg",
        "bitrate_kbps": 96,
        "duration_ms": 215_000,
        "expires_at": datetime(2027, 1, 15, 8, 0, 0, tzinfo=UTC),
        "cdn_token": "exp=1800000000&sig=ab12",
        "quality": Quality.NORMAL,
        "requested_quality": Quality.NORMAL,
        "upscaled": False,
        "region": "eu",
    }
    return StreamGrant(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "case",
    [
        grant(),
        grant(quality=Quality.HIGH, requested_quality=Quality.VERY_HIGH, upscaled=True),
        grant(
            format="flac",
            bitrate_kbps=None,
            quality=Quality.LOSSLESS,
            requested_quality=Quality.LOSSLESS,
        ),
        grant(track_id='é"quote', stream_url="http://127.0.0.1:8080/audio/x?exp=1&sig=2"),
    ],
)
def test_the_rendered_answer_is_byte_for_byte_the_documented_model(case: StreamGrant) -> None:
    assert stream_json(case) == StreamRead.of(case).model_dump_json().encode()


def test_a_fallback_says_so_and_names_both_qualities() -> None:
    answer = StreamRead.model_validate_json(
        stream_json(grant(quality=Quality.HIGH, requested_quality=Quality.LOSSLESS))
    )
    assert (answer.fallback, answer.quality, answer.requested_quality) == (
        True,
        Quality.HIGH,
        Quality.LOSSLESS,
    )
    assert answer.expires_at == "2027-01-15T08:00:00Z"
