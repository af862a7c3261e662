"""Caps on how much of a playlist one artist or one genre may take, vectorised."""

import numpy as np
from numpy.typing import NDArray


def rank_within(groups: NDArray[np.int64]) -> NDArray[np.int64]:
    """For each position, how many earlier positions share its group (0 for the first)."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    positions = np.arange(n, dtype=np.int64)
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    first_of_group = np.maximum.accumulate(np.where(starts, positions, 0))
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = positions - first_of_group
    return ranks


def diversify(
    ranked: NDArray[np.int64],
    item_artist: NDArray[np.int64],
    item_genre: NDArray[np.int64],
    *,
    length: int,
    per_artist: int,
    per_genre: int,
) -> NDArray[np.int64]:
    """The first `length` of `ranked` (best first, no repeats) such that no artist has more
    than `per_artist` and no genre more than `per_genre` (tracks without a genre are uncapped).

    Two vectorised passes, artists then genres: a track passed over for its genre still
    holds its artist's place, so a pass may keep fewer than the greedy walk would, never a
    playlist past a cap. The caller tops up from elsewhere when it comes up short.
    """
    if len(ranked) == 0:
        return ranked
    artists = item_artist[ranked]
    kept = ranked[rank_within(artists) < per_artist]
    genres = item_genre[kept]
    capped = genres >= 0
    genre_rank = np.zeros(len(kept), dtype=np.int64)
    genre_rank[capped] = rank_within(genres[capped])
    chosen: NDArray[np.int64] = kept[~capped | (genre_rank < per_genre)][:length]
    return chosen


def diversify_rows(
    ranked: NDArray[np.int64],
    item_artist: NDArray[np.int64],
    item_genre: NDArray[np.int64],
    *,
    length: int,
    per_artist: int,
    per_genre: int,
) -> list[NDArray[np.int64]]:
    """`diversify` of every row of `ranked` (n x k, best first, -1 where nothing is) at once:
    the same two passes over the whole block, with each row's artists and genres told apart
    by the row number, so a partition costs a few sorts instead of a few per listener."""
    n, k = ranked.shape
    flat = ranked.ravel()
    positions = np.flatnonzero(flat >= 0)
    items = flat[positions]
    rows = positions // max(k, 1)
    artists = rows * (int(item_artist.max(initial=0)) + 1) + item_artist[items]
    kept = rank_within(artists) < per_artist
    items, rows = items[kept], rows[kept]
    genres = item_genre[items]
    capped = genres >= 0
    genre_rank = np.zeros(len(items), dtype=np.int64)
    width = int(item_genre.max(initial=0)) + 1
    genre_rank[capped] = rank_within(rows[capped] * width + genres[capped])
    kept = ~capped | (genre_rank < per_genre)
    items, rows = items[kept], rows[kept]
    kept = rank_within(rows) < length
    items, rows = items[kept], rows[kept]
    bounds = np.searchsorted(rows, np.arange(1, n))
    return np.split(items, bounds)
