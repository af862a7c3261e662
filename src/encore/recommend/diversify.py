"""Caps on how much of a playlist one artist or one genre may take, vectorised."""

import numpy as np
from numpy.typing import NDArray


def rank_within(groups: NDArray[np.int64]) -> NDArray[np.int64]:
    """For each position, how many earlier positions share its group (0 for the first)."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    positions = np.arange(n, dtype=np.int64)
    low = int(groups.min())
    span = int(groups.max()) - low + 1
    shift = n.bit_length()
    if span < 1 << (62 - shift):
        # Group and position in one key: a plain sort of distinct integers orders as a stable
        # argsort would, several times faster (numpy sorts int64 with SIMD, argsort merges).
        keys = ((groups - low) << shift) | positions
        keys.sort()
        ordered, order = keys >> shift, keys & ((1 << shift) - 1)
    else:
        order = np.argsort(groups, kind="stable")
        ordered = groups[order]
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = rank_in_runs(ordered)
    return ranks


def rank_in_runs(groups: NDArray[np.int64]) -> NDArray[np.int64]:
    """`rank_within` for groups that come in runs (sorted, say): no sort needed."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    positions = np.arange(n, dtype=np.int64)
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    np.not_equal(groups[1:], groups[:-1], out=starts[1:])
    ranks: NDArray[np.int64] = positions - np.maximum.accumulate(np.where(starts, positions, 0))
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
    kept = rank_in_runs(rows) < length  # rows stay in order through the passes
    items, rows = items[kept], rows[kept]
    bounds = np.searchsorted(rows, np.arange(1, n))
    return np.split(items, bounds)
