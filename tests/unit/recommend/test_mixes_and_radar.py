"""Daily Mix and Release Radar on generated listening."""

from collections import Counter
from datetime import timedelta

import numpy as np

from encore.recommend.domain import PlaylistKind, Source
from encore.recommend.generation import Generation
from encore.recommend.mixes import daily_mixes, kmeans, mix_name, popular_mix_name
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
        assert mix.name.endswith(" and more")
        assert mix.description.startswith(f"Daily Mix {mix.slot}: ")
        user = inputs.user_ids.index(mix.user_id)
        played = set(inputs.plays[user].indices.tolist())
        items = [number[t] for t in mix.track_ids]
        familiar = [i for i in items if i in played]
        fresh = [i for i in items if i not in played]
        assert familiar
        assert fresh
        assert len(items) == len(set(items))
        # Named after the artist with the most of the mix's favourites (the familiar tracks
        # come first, interleaved): ties go to the artist of the most played favourite.
        tally = Counter(inputs.item_artist[familiar].tolist())
        most = max(tally.values())
        leading = next(a for a in inputs.item_artist[familiar].tolist() if tally[a] == most)
        named = mix.name.removesuffix(" and more").split(", ")
        assert set(named) <= {inputs.artist_names[a] for a in inputs.item_artist[familiar]}
        # The leading artist goes first unless an earlier mix of the listener took that name.
        assert named[0] == inputs.artist_names[leading] or mix.slot > 1
        assert mix.expires_at - mix.period_start == timedelta(days=1)
    slots = sorted(p.slot for p in made if p.user_id == made[0].user_id)
    assert slots == list(range(1, len(slots) + 1))


def test_a_mix_is_named_after_its_two_leading_artists() -> None:
    assert mix_name(["Radiohead", "Portishead", "Massive Attack"]) == (
        "Radiohead, Portishead and more"
    )
    assert mix_name(["Björk"]) == "Björk and more"
    assert popular_mix_name("SE") == "Popular in SE"


def test_mixes_of_one_listener_have_different_names(generation: Generation) -> None:
    made = daily_mixes(generation, np.arange(40, dtype=np.int64))
    by_user: dict[str, list[str]] = {}
    for mix in made:
        by_user.setdefault(mix.user_id, []).append(mix.name)
    several = [names for names in by_user.values() if len(names) > 1]
    assert several
    for names in several:
        assert len(set(names)) == len(names), names


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
