"""Release Radar, the per-user step: the last 14 days' releases from artists the listener
follows or plays, newest first, at most 3 per artist, only those the listener can play. A
listener with none of those gets the period's most popular releases, and the playlist says so."""

import numpy as np
from numpy.typing import NDArray

from encore.recommend.diversify import diversify
from encore.recommend.domain import (
    PLAYLIST_LENGTH,
    RELEASE_WINDOW,
    GeneratedPlaylist,
    PlaylistKind,
    Source,
    period,
)
from encore.recommend.generation import Generation

PER_ARTIST = 3
NAME = "Release Radar"


def new_releases(generation: Generation) -> NDArray[np.int64]:
    """Tracks released within the window, newest first, then by popularity."""
    inputs = generation.inputs
    today = np.datetime64(generation.now.date(), "D")
    released = inputs.item_released
    window = np.flatnonzero(
        ~np.isnat(released)
        & (released <= today)
        & (released >= today - np.timedelta64(RELEASE_WINDOW.days, "D"))
    )
    rank = np.full(inputs.n_items, inputs.n_items, dtype=np.int64)
    everywhere = inputs.popular.get("", np.zeros(0, dtype=np.int64))
    rank[everywhere] = np.arange(len(everywhere))
    order = np.lexsort((rank[window], -released[window].astype(np.int64)))
    found: NDArray[np.int64] = window[order]
    return found


def release_radar(generation: Generation, users: NDArray[np.int64]) -> list[GeneratedPlaylist]:
    inputs = generation.inputs
    releases = new_releases(generation)
    by = inputs.item_artist[releases]
    no_genre = np.full(inputs.n_items, -1, dtype=np.int64)
    made: list[GeneratedPlaylist] = []
    for user in users.tolist():
        start, end = inputs.plays.indptr[user], inputs.plays.indptr[user + 1]
        played = inputs.item_artist[inputs.plays.indices[start:end]]
        f_start, f_end = inputs.followed.indptr[user], inputs.followed.indptr[user + 1]
        artists = np.union1d(played, inputs.followed.indices[f_start:f_end])
        picks = releases[np.isin(by, artists)]
        source = Source.MODEL
        picks = generation.available_to(user, picks)
        if len(picks) == 0:
            picks, source = generation.available_to(user, releases), Source.POPULARITY
        chosen = diversify(
            picks,
            inputs.item_artist,
            no_genre,
            length=PLAYLIST_LENGTH,
            per_artist=PER_ARTIST,
            per_genre=0,
        )
        when = period(PlaylistKind.RELEASE_RADAR, generation.now, inputs.user_zones[user])
        made.append(
            GeneratedPlaylist(
                user_id=inputs.user_ids[user],
                kind=PlaylistKind.RELEASE_RADAR,
                name=NAME,
                description="New releases from artists you follow and play."
                if source is Source.MODEL
                else "The newest releases listeners are playing.",
                track_ids=tuple(generation.track_ids[chosen].tolist()),
                source=source,
                period_start=when.start,
                generated_at=generation.now,
                expires_at=when.expires_at,
            )
        )
    return made
