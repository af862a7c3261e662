"""Daily Mix and Release Radar on generated listening."""

from collections import Counter
from datetime import timedelta

import numpy as np

from encore.recommend.domain import PlaylistKind, Source
from encore.recommend.generation import Generation
from encore.recommend.mixes import daily_mixes, kmeans
from encore.recommend.radar import release_radar


def test_kmeans_separates_clear_clusters() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal([5, 0, 0], 0.1, (20, 3))
    b = rng.normal([0, 5, 0], 0.1, (20, 3))
    labels, centres = kmeans(np.vstack([a, b]).astype(np.float32), np.ones(40, np.float32), 2)
    assert len(set(labels[:20].tolist())) == 1
    assert len(set(labels[20:].tolist())) == 1
    assert labels[0] != labels[20]
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 1, rtol=1e-5)


def test_daily_mixes_mix_favourites_with_new_tracks_named_after_their_artists(
    generation: Generation,
) -> None:
    inputs = generation.inputs
    users = np.arange(40, dtype=np.int64)
    made = daily_mixes(generation, users)
    per_user = Counter(p.user_id for p in made)
    assert per_user
    assert max(per_user.values()) <= 6
    number = {t: i for i, t in enumerate(inputs.track_ids)}
    for mix in made:
        assert mix.kind is PlaylistKind.DAILY_MIX
        assert mix.name == f"Daily Mix {mix.slot}"
        assert mix.description.endswith(" and more")
        user = inputs.user_ids.index(mix.user_id)
        played = set(inputs.plays[user].indices.tolist())
        items = [number[t] for t in mix.track_ids]
        familiar = [i for i in items if i in played]
        fresh = [i for i in items if i not in played]
        assert familiar
        assert fresh
        assert len(items) == len(set(items))
        leading = inputs.artist_names[
            Counter(inputs.item_artist[familiar].tolist()).most_common(1)[0][0]
        ]
        assert leading in mix.description or len(set(inputs.item_artist[familiar].tolist())) > 3
        assert mix.expires_at - mix.period_start == timedelta(days=1)
    slots = sorted(p.slot for p in made if p.user_id == made[0].user_id)
    assert slots == list(range(1, len(slots) + 1))


def test_release_radar_brings_recent_releases_of_artists_played_or_followed(
    generation: Generation,
) -> None:
    inputs = generation.inputs
    today = np.datetime64(generation.now.date(), "D")
    # Make some tracks of the artists user 0 plays new releases.
    played_artists = set(inputs.item_artist[inputs.plays[0].indices].tolist())
    theirs = np.flatnonzero(np.isin(inputs.item_artist, list(played_artists)))[:5]
    released = inputs.item_released.copy()
    released[theirs] = today - np.timedelta64(3, "D")
    stale = np.flatnonzero(~np.isin(inputs.item_artist, list(played_artists)))[:5]
    released[stale] = today - np.timedelta64(30, "D")
    original = inputs.item_released
    inputs.item_released = released
    try:
        (radar,) = release_radar(generation, np.array([0]))
    finally:
        inputs.item_released = original
    number = {t: i for i, t in enumerate(inputs.track_ids)}
    items = [number[t] for t in radar.track_ids]
    assert radar.source is Source.MODEL
    assert set(theirs.tolist()) <= set(items) or len(items) == 30
    for item in items:
        assert released[item] >= today - np.timedelta64(14, "D")
        assert int(inputs.item_artist[item]) in played_artists | set(
            inputs.followed[0].indices.tolist()
        )
    assert max(Counter(inputs.item_artist[items].tolist()).values()) <= 3
