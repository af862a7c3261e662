"""Every Discover Weekly rule, on generated listening: 30 tracks, at most 2 per artist and 5 per
genre, nothing played in the last 90 days nor liked, popularity for thin histories, expiry."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from encore.adapters.recommend.faiss_index import FaissIndexBuilder
from encore.recommend.als import AlsTrainer
from encore.recommend.discover import discover_weekly, popular_mix, popular_mixes
from encore.recommend.domain import (
    MIN_HISTORY,
    BatchInputs,
    GeneratedPlaylist,
    PlaylistKind,
    Source,
    period,
)
from encore.recommend.generation import Generation
from encore.recommend.synthetic import listening
from tests.unit.recommend.conftest import NOW


def check_rules(inputs: BatchInputs, playlist: GeneratedPlaylist) -> None:
    number = {t: i for i, t in enumerate(inputs.track_ids)}
    user = inputs.user_ids.index(playlist.user_id)
    items = np.array([number[t] for t in playlist.track_ids])
    assert len(items) == len(set(items.tolist())), "a track twice"
    assert max(Counter(inputs.item_artist[items].tolist()).values()) <= 2
    genres = [g for g in inputs.item_genre[items].tolist() if g >= 0]
    assert not genres or max(Counter(genres).values()) <= 5
    recent = set(inputs.recent[user].indices.tolist())
    liked = set(inputs.liked[user].indices.tolist())
    assert not (set(items.tolist()) & (recent | liked)), "played lately or liked"


def test_each_listener_gets_30_tracks_within_the_caps_and_exclusions(
    generation: Generation,
) -> None:
    users = np.arange(generation.inputs.n_users, dtype=np.int64)
    made = discover_weekly(generation, users)
    assert [p.user_id for p in made] == generation.inputs.user_ids
    modelled = [p for p in made if p.source is Source.MODEL]
    assert len(modelled) > 0.9 * len(made)
    for playlist in made:
        assert len(playlist.track_ids) == 30
        check_rules(generation.inputs, playlist)
        assert playlist.kind is PlaylistKind.DISCOVER_WEEKLY
    assert all(p.model_version == "v1" for p in modelled)


def test_candidates_that_were_played_lately_or_liked_are_left_out(
    generation: Generation,
) -> None:
    """The model's own favourites for a listener are mostly what they play: marking the
    candidates the index returns as recent or liked must change the playlist to avoid them."""
    inputs = generation.inputs
    user = int(np.argmax(np.diff(inputs.plays.indptr)))
    before = discover_weekly(generation, np.array([user]))[0]
    number = {t: i for i, t in enumerate(inputs.track_ids)}
    first = [number[t] for t in before.track_ids[:10]]
    liked = inputs.liked.tolil()
    liked[user, first] = 1
    changed = Generation(
        inputs=BatchInputs(**{**_fields(inputs), "liked": liked.tocsr()}),
        model=generation.model,
        index=generation.index,
        model_users=generation.model_users,
        now=generation.now,
    )
    after = discover_weekly(changed, np.array([user]))[0]
    assert not set(after.track_ids) & set(before.track_ids[:10])
    assert len(after.track_ids) == 30
    check_rules(changed.inputs, after)


def test_too_little_history_gets_the_popularity_mix_of_their_country(
    generation: Generation,
) -> None:
    inputs = generation.inputs
    plays = inputs.plays.tolil()
    plays[0, :] = 0
    plays[0, [1, 2]] = 3  # two tracks: fewer than MIN_HISTORY
    assert MIN_HISTORY > 2
    changed = Generation(
        inputs=BatchInputs(**{**_fields(inputs), "plays": plays.tocsr()}),
        model=generation.model,
        index=generation.index,
        model_users=generation.model_users,
        now=generation.now,
    )
    (made,) = discover_weekly(changed, np.array([0]))
    assert made.source is Source.POPULARITY
    assert inputs.user_countries[0] in made.description
    assert made.model_version is None
    assert len(made.track_ids) == 30
    check_rules(changed.inputs, made)
    # The mix follows the country's chart: its first track is the chart's first not spared.
    chart = inputs.popular_in(inputs.user_countries[0])
    first = chart[~np.isin(chart, changed.spared_for(0))][0]
    assert made.track_ids[0] == inputs.track_ids[int(first)]


def test_without_a_model_everyone_gets_popularity(inputs: BatchInputs) -> None:
    generation = Generation(
        inputs=inputs,
        model=None,
        index=None,
        model_users=np.arange(inputs.n_users, dtype=np.int64),
        now=NOW,
    )
    made = discover_weekly(generation, np.arange(20, dtype=np.int64))
    assert {p.source for p in made} == {Source.POPULARITY}
    for playlist in made:
        assert len(playlist.track_ids) == 30
        check_rules(inputs, playlist)


def test_a_catalog_of_one_artist_gives_two_tracks_not_a_broken_cap() -> None:
    small = listening(users=30, tracks=40, now=NOW, genres=2, tracks_per_artist=40)
    assert len(set(small.item_artist.tolist())) == 1
    model = AlsTrainer(factors=4, iterations=2, threads=1).fit(small.plays, small.item_genre)
    generation = Generation(
        inputs=small,
        model=model,
        index=FaissIndexBuilder(threads=1).build(model.item_vectors),
        model_users=np.arange(small.n_users, dtype=np.int64),
        now=NOW,
    )
    for playlist in discover_weekly(generation, np.arange(small.n_users, dtype=np.int64)):
        assert len(playlist.track_ids) <= 2
        check_rules(small, playlist)


def test_a_listener_absent_from_training_is_folded_in(generation: Generation) -> None:
    inputs = generation.inputs
    user = int(np.argmax(np.diff(inputs.plays.indptr)))
    absent = generation.model_users.copy()
    absent[user] = -1
    folded = Generation(
        inputs=inputs,
        model=generation.model,
        index=generation.index,
        model_users=absent,
        now=generation.now,
    )
    (made,) = discover_weekly(folded, np.array([user]))
    assert made.source is Source.MODEL
    assert len(made.track_ids) == 30
    check_rules(inputs, made)


@pytest.mark.parametrize(
    ("now", "zone", "start"),
    [
        # Wednesday noon UTC: the week began on Monday 23 November, local midnight.
        (NOW, "UTC", datetime(2026, 11, 23, tzinfo=UTC)),
        # Sunday 23:30 UTC is already Monday 00:30 in Stockholm (UTC+1): a new week there.
        (
            datetime(2026, 11, 29, 23, 30, tzinfo=UTC),
            "Europe/Stockholm",
            datetime(2026, 11, 29, 23, 0, tzinfo=UTC),
        ),
        # ... and still Sunday in New York (UTC-5): last week's.
        (
            datetime(2026, 11, 29, 23, 30, tzinfo=UTC),
            "America/New_York",
            datetime(2026, 11, 23, 5, 0, tzinfo=UTC),
        ),
        # A zone that does not exist counts as UTC.
        (NOW, "Nowhere/Atlantis", datetime(2026, 11, 23, tzinfo=UTC)),
    ],
)
def test_the_week_begins_on_monday_in_the_listeners_zone_and_lasts_seven_days(
    now: datetime, zone: str, start: datetime
) -> None:
    found = period(PlaylistKind.DISCOVER_WEEKLY, now, zone)
    assert found.start == start
    assert found.expires_at - found.start == timedelta(days=7)
    assert found.start <= now < found.expires_at


def test_a_daily_mix_lasts_a_local_day() -> None:
    found = period(PlaylistKind.DAILY_MIX, datetime(2026, 11, 25, 23, 30, tzinfo=UTC), "Asia/Tokyo")
    assert found.start == datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    assert found.expires_at == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def _fields(inputs: BatchInputs) -> dict[str, object]:
    return {name: getattr(inputs, name) for name in BatchInputs.__slots__ if name != "__weakref__"}


def test_popular_fill_for_many_listeners_is_each_listeners_own(generation: Generation) -> None:
    users = np.arange(12, dtype=np.int64)
    firsts = [np.zeros(0, dtype=np.int64)] * 6 + [
        np.asarray(generation.inputs.popular_in(generation.inputs.user_countries[u])[3:9])
        for u in range(6, 12)
    ]

    together = popular_mixes(generation, users, firsts)

    for user, first, picked in zip(users.tolist(), firsts, together, strict=True):
        np.testing.assert_array_equal(picked, popular_mix(generation, user, first))
