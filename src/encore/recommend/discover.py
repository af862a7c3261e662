"""Discover Weekly, the per-user step: as the seed has it, for a partition of users at once.

Candidates are the ANN index's top 1,000 by taste vector; tracks played in the last 90 days and
liked tracks go; the model scores the rest; the best 30 are kept with at most 2 per artist and
5 per primary genre. A listener with too little history (or a run without a model) gets what is
popular in their country, under the same caps and exclusions, and the playlist says so.
"""

import numpy as np
from numpy.typing import NDArray

from encore.recommend.diversify import diversify
from encore.recommend.domain import (
    CANDIDATES,
    MIN_HISTORY,
    PER_ARTIST,
    PER_GENRE,
    PLAYLIST_LENGTH,
    GeneratedPlaylist,
    PlaylistKind,
    Source,
    period,
)
from encore.recommend.generation import Generation

NAME = "Discover Weekly"
MODEL_DESCRIPTION = "Your weekly mixtape of fresh music: new to you, close to what you love."
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
    for user in users.tolist():
        if user not in chosen:
            chosen[user] = (
                popular_mix(generation, user, np.zeros(0, dtype=np.int64)),
                Source.POPULARITY,
            )
    return [_playlist(generation, user, *chosen[user]) for user in users.tolist()]


def _from_model(
    generation: Generation, users: NDArray[np.int64]
) -> dict[int, tuple[NDArray[np.int64], Source]]:
    assert generation.model is not None
    assert generation.index is not None
    inputs = generation.inputs
    _, candidates = generation.index.search(generation.tastes(users), CANDIDATES)
    spared = generation.spared_mask(users, candidates)
    model = generation.model
    found: dict[int, tuple[NDArray[np.int64], Source]] = {}
    for row, user in enumerate(users.tolist()):
        items = candidates[row][~spared[row]]
        scores = model.score(int(generation.model_users[user]), generation.history(user), items)
        picked = diversify(
            # Ties between float scores are rare and either order is right: quicksort.
            items[np.argsort(-scores)],
            inputs.item_artist,
            inputs.item_genre,
            length=PLAYLIST_LENGTH,
            per_artist=PER_ARTIST,
            per_genre=PER_GENRE,
        )
        if len(picked) < PLAYLIST_LENGTH:
            # A narrow taste or a small catalog: popular tracks fill the rest, same caps.
            picked = popular_mix(generation, user, picked)
        found[user] = (picked, Source.MODEL)
    return found


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
