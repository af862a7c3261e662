"""The listening personality follows the strongest real signal past its threshold."""

from dataclasses import replace

import pytest

from encore.wrapped.model import YearStats, personality, signals


def stats(**overrides: object) -> YearStats:
    base = YearStats(
        user_id="u",
        year=2026,
        minutes=1000,
        plays=300,
        skips=30,
        completed=200,
        top_tracks=(),
        top_artists=(),
        top_genres=(),
        distinct_artists=40,
        discoveries=(),
        discovery_minutes=100,
        top_artist_minutes=100,
        minutes_by_hour=tuple([1000 // 24] * 24),
        minutes_by_month=tuple([1000 // 12] * 12),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "Steady Listener"),
        ({"discovery_minutes": 600}, "Explorer"),
        ({"top_artist_minutes": 400}, "Loyalist"),
        ({"minutes_by_hour": tuple([100] * 6 + [0] * 16 + [100] * 2)}, "Night Owl"),
        ({"skips": 150}, "Restless"),
        ({"completed": 290}, "Completionist"),
        # Both past their thresholds: the one further past wins.
        ({"discovery_minutes": 400, "top_artist_minutes": 900}, "Loyalist"),
    ],
)
def test_personality_from_signals(overrides: dict[str, object], expected: str) -> None:
    found = personality(stats(**overrides))
    assert found.name == expected
    assert found.signals == signals(stats(**overrides))


def test_an_empty_year_has_no_division_by_zero() -> None:
    empty = stats(minutes=0, plays=0, skips=0, completed=0, discovery_minutes=0,
                  top_artist_minutes=0, minutes_by_hour=(0,) * 24)  # fmt: skip
    assert personality(empty).name == "Steady Listener"
