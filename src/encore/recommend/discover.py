"""Discover Weekly, the per-user step: as the seed has it, for a partition of users at once.

Candidates are the ANN index's top 1,000 by taste vector; tracks played in the last 90 days and
liked tracks go; the model scores the rest; the best 30 are kept with at most 2 per artist and
5 per primary genre. A listener with too little history (or a run without a model) gets what is
popular in their country, under the same caps and exclusions, and the playlist says so.
"""

import numpy as np
from numpy.typing import NDArray

from encore.recommend.diversify import diversify, diversify_rows, rank_within
from encore.recommend.domain import (
    CANDIDATES,
    MIN_HISTORY,
    PER_ARTIST,
    PER_GENRE,
    PLAYLIST_LENGTH,
    BatchInputs,
    GeneratedPlaylist,
    PlaylistKind,
    Source,
    period,
)
from encore.recommend.generation import Generation

NAME = "Discover Weekly"
MODEL_DESCRIPTION = "Your weekly mixtape of fresh music: new to you, close to what you love."
RANKED_DEPTHS = (100, 300)  # best candidates the caps go through first, then again if short
POPULAR_FIRST = 300  # popular tracks a short playlist is topped up from first
POPULAR_DESCRIPTION = (
    "What listeners in {country} are playing, while Encore learns your taste: "
    "play more and next week's is made for you."
)


def discover_weekly(generation: Generation, users: NDArray[np.int64]) -> list[GeneratedPlaylist]:
    inputs = generation.inputs
    distinct = np.diff(inputs.plays.indptr)[users]
    use_model = generation.model is not None and generation.index is not None
    modelled = users[distinct >= MIN_HISTORY] if use_model else users[:0]
    chosen: dict[int, tuple[NDArray[np.int64], Source]] = {}
    if len(modelled):
        chosen.update(_from_model(generation, modelled))
    rest = np.array([user for user in users.tolist() if user not in chosen], dtype=np.int64)
    if len(rest):
        nothing = [np.zeros(0, dtype=np.int64)] * len(rest)
        for user, items in zip(
            rest.tolist(), popular_mixes(generation, rest, nothing), strict=True
        ):
            chosen[user] = (items, Source.POPULARITY)
    return [_playlist(generation, user, *chosen[user]) for user in users.tolist()]


def _from_model(
    generation: Generation, users: NDArray[np.int64]
) -> dict[int, tuple[NDArray[np.int64], Source]]:
    """The whole partition as matrices: one index search, one scoring call, one sort and one
    pass of the caps for all its listeners."""
    assert generation.model is not None
    assert generation.index is not None
    inputs = generation.inputs
    _, candidates = generation.index.search(generation.tastes(users), CANDIDATES)
    candidates = np.where(generation.spared_mask(users, candidates), -1, candidates)
    scores = generation.model.score_block(
        generation.model_users[users], inputs.plays[users], candidates
    )
    # Most playlists fill from the best hundred, nearly all from a few hundred; only the rows
    # that come short go again, deeper. (The caps keep what a shallower pass kept: a deeper
    # one only adds after it.)
    depths = [depth for depth in RANKED_DEPTHS if depth < candidates.shape[1]]
    depths.append(candidates.shape[1])
    picked = _best_diversified(candidates, scores, depths[0], inputs)
    for depth in depths[1:]:
        short = [row for row, items in enumerate(picked) if len(items) < PLAYLIST_LENGTH]
        if not short:
            break
        again = _best_diversified(candidates[short], scores[short], depth, inputs)
        for row, items in zip(short, again, strict=True):
            picked[row] = items
    # A narrow taste or a small catalog: popular tracks fill the rest, same caps.
    short = [row for row, items in enumerate(picked) if len(items) < PLAYLIST_LENGTH]
    if short:
        filled = popular_mixes(generation, users[short], [picked[row] for row in short])
        for row, items in zip(short, filled, strict=True):
            picked[row] = items
    return {user: (items, Source.MODEL) for user, items in zip(users.tolist(), picked, strict=True)}


def _best_diversified(
    candidates: NDArray[np.int64], scores: NDArray[np.float32], depth: int, inputs: BatchInputs
) -> list[NDArray[np.int64]]:
    """Each row's `depth` best candidates by score (spared ones, -1, last and dropped), then
    the caps."""
    if depth < candidates.shape[1]:
        best = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
    else:
        best = np.broadcast_to(np.arange(candidates.shape[1]), candidates.shape)
    # Ties between float scores are rare and either order is right: quicksort.
    order = np.take_along_axis(
        best, np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1), axis=1
    )
    ranked = np.take_along_axis(candidates, order, axis=1)
    ranked = np.where(np.isfinite(np.take_along_axis(scores, order, axis=1)), ranked, -1)
    return diversify_rows(
        ranked,
        inputs.item_artist,
        inputs.item_genre,
        length=PLAYLIST_LENGTH,
        per_artist=PER_ARTIST,
        per_genre=PER_GENRE,
    )


def popular_mixes(
    generation: Generation, users: NDArray[np.int64], first: list[NDArray[np.int64]]
) -> list[NDArray[np.int64]]:
    """`popular_mix` for many listeners at once: each row is the listener's `first`, then the
    popular tracks of their country they have not played lately or liked, under the caps.
    The first few hundred popular tracks fill most rows; the rows they leave short go again
    over the whole list."""
    picked = _popular_rows(generation, users, first, POPULAR_FIRST)
    short = [row for row, items in enumerate(picked) if len(items) < PLAYLIST_LENGTH]
    if short:
        again = _popular_rows(generation, users[short], [first[row] for row in short], None)
        for row, items in zip(short, again, strict=True):
            picked[row] = items
    return picked


def _popular_rows(
    generation: Generation,
    users: NDArray[np.int64],
    first: list[NDArray[np.int64]],
    depth: int | None,
) -> list[NDArray[np.int64]]:
    inputs = generation.inputs
    countries = [inputs.user_countries[user] for user in users.tolist()]
    pools = {country: inputs.popular_in(country)[:depth] for country in set(countries)}
    width = max(len(items) for items in first) + max(len(pools[c]) for c in countries)
    rows = np.full((len(users), width), -1, dtype=np.int64)
    for row, (items, country) in enumerate(zip(first, countries, strict=True)):
        pool = pools[country]
        rows[row, : len(items)] = items
        rows[row, len(items) : len(items) + len(pool)] = pool
    # Spared tracks go; so does a popular track already among the first (its later copy).
    spared = generation.spared_mask(users, rows)
    for row, items in enumerate(first):
        spared[row, : len(items)] = False
    rows[spared] = -1
    keys = np.arange(len(users), dtype=np.int64)[:, None] * inputs.n_items + rows
    keys = np.where(rows >= 0, keys, -1).ravel()
    rows.ravel()[(rank_within(keys) > 0) & (keys >= 0)] = -1
    return diversify_rows(
        rows,
        inputs.item_artist,
        inputs.item_genre,
        length=PLAYLIST_LENGTH,
        per_artist=PER_ARTIST,
        per_genre=PER_GENRE,
    )


def popular_mix(generation: Generation, user: int, first: NDArray[np.int64]) -> NDArray[np.int64]:
    """`first`, then popular tracks in the user's country, under the caps, sparing what the
    user played lately or liked."""
    inputs = generation.inputs
    popular = inputs.popular_in(inputs.user_countries[user])
    popular = popular[~np.isin(popular, generation.spared_for(user))]
    popular = popular[~np.isin(popular, first)]
    return diversify(
        np.concatenate([first, popular]),
        inputs.item_artist,
        inputs.item_genre,
        length=PLAYLIST_LENGTH,
        per_artist=PER_ARTIST,
        per_genre=PER_GENRE,
    )


def _playlist(
    generation: Generation, user: int, items: NDArray[np.int64], source: Source
) -> GeneratedPlaylist:
    inputs = generation.inputs
    when = period(PlaylistKind.DISCOVER_WEEKLY, generation.now, inputs.user_zones[user])
    country = inputs.user_countries[user]
    return GeneratedPlaylist(
        user_id=inputs.user_ids[user],
        kind=PlaylistKind.DISCOVER_WEEKLY,
        name=NAME,
        description=MODEL_DESCRIPTION
        if source is Source.MODEL
        else POPULAR_DESCRIPTION.format(country=country),
        track_ids=tuple(generation.track_ids[items].tolist()),
        source=source,
        period_start=when.start,
        generated_at=generation.now,
        expires_at=when.expires_at,
        model_version=generation.model_version if source is Source.MODEL else None,
    )
