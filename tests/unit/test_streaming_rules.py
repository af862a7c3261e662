"""Rendition fallback, regions and origin failover: the pure rules behind stream URLs."""

import pytest

from encore.catalog.model import Quality
from encore.countries import COUNTRIES
from encore.streaming.cdn import OriginSelector
from encore.streaming.model import Playable, PlayableRendition
from encore.streaming.regions import countries_in, region_of


def _playable(*qualities: Quality) -> Playable:
    return Playable(
        track_id="t" * 22,
        duration_ms=1000,
        available_countries=frozenset({"DE"}),
        renditions=tuple(
            PlayableRendition(q, f"audio/{q}", "ogg", 96, upscaled=False) for q in qualities
        ),
    )


def test_a_missing_rung_falls_back_down_never_up() -> None:
    playable = _playable(Quality.LOW, Quality.HIGH, Quality.PREVIEW)
    assert playable.rendition_for(Quality.LOSSLESS).quality is Quality.HIGH  # type: ignore[union-attr]
    assert playable.rendition_for(Quality.NORMAL).quality is Quality.LOW  # type: ignore[union-attr]
    assert playable.rendition_for(Quality.PREVIEW).quality is Quality.PREVIEW  # type: ignore[union-attr]
    assert _playable(Quality.HIGH).rendition_for(Quality.LOW) is None
    assert _playable().rendition_for(Quality.HIGH) is None
    assert _playable(Quality.LOW).rendition_for(Quality.PREVIEW) is None


def test_playable_facts_survive_the_cache_encoding() -> None:
    playable = _playable(Quality.LOW, Quality.LOSSLESS)
    assert Playable.decode(playable.encode()) == playable
    everywhere = Playable("t" * 22, 5, None, ())
    assert Playable.decode(everywhere.encode()) == everywhere
    assert everywhere.is_available_in("JP")
    assert playable.is_available_in("DE")
    assert not playable.is_available_in("FR")


@pytest.mark.parametrize(
    ("country", "region"),
    [("US", "us"), ("BR", "us"), ("CA", "us"), ("DE", "eu"), ("NG", "eu"), ("ZA", "eu"),
     ("JP", "asia"), ("AU", "asia"), ("IN", "asia"), ("se", "eu")],
)  # fmt: skip
def test_regions_follow_continents(country: str, region: str) -> None:
    assert region_of(country) == region


def test_every_country_has_exactly_one_region() -> None:
    regions = [countries_in(r) for r in ("us", "eu", "asia")]
    assert set().union(*regions) == COUNTRIES
    assert sum(len(r) for r in regions) == len(COUNTRIES)


def test_origins_fail_over_within_the_region_then_across() -> None:
    selector = OriginSelector({"eu": ["https://a/", "https://b"], "asia": ["https://c"]})
    assert selector.choose("eu") == "https://a"
    selector.mark_down("https://a")
    assert selector.choose("eu") == "https://b"
    selector.mark_down("https://b")
    assert selector.choose("eu") == "https://c"
    selector.mark_down("https://c")
    assert selector.choose("eu") == "https://a"  # all down: a URL that may work beats none
    assert selector.choose("us") == "https://a"
    assert OriginSelector({}).choose("eu") is None


def test_unknown_regions_are_refused() -> None:
    with pytest.raises(ValueError, match="moon"):
        OriginSelector({"moon": ["https://x"]})
