"""The content signal: a track with few listeners borrows the taste vector of its genre.

A genre's centroid is the listener-weighted mean of its tracks' vectors. A track with n listeners
moves toward it by prior / (n + prior): a new track (n = 0) sits at its genre's centroid, so the
ANN index and the ALS score can reach it; a hit barely moves.
"""

import numpy as np
from numpy.typing import NDArray

from encore.errors import InvalidInput


def checked_genres(item_genres: NDArray[np.int64] | None, n_items: int) -> NDArray[np.int64]:
    """The genre index of every item, -1 for none; refuses a wrong length or index below -1."""
    if item_genres is None:
        return np.full(n_items, -1, dtype=np.int64)
    genres = np.asarray(item_genres)
    if genres.shape != (n_items,):
        raise InvalidInput(
            f"item_genres must have one entry per item ({n_items}), not shape {genres.shape}"
        )
    if genres.size and not np.issubdtype(genres.dtype, np.integer):
        raise InvalidInput("item_genres must hold integer genre indices")
    if genres.size and genres.min() < -1:
        raise InvalidInput("a genre index is -1 (no genre) or a non-negative integer")
    return genres.astype(np.int64)


def toward_genres(
    item_vectors: NDArray[np.float32],
    listeners: NDArray[np.float32],
    genres: NDArray[np.int64],
    *,
    prior: float,
) -> NDArray[np.float32]:
    """Item vectors shrunk toward their genre centroid (items without a genre unchanged)."""
    tagged = np.flatnonzero(genres >= 0)
    if tagged.size == 0:
        return item_vectors
    n_genres = int(genres[tagged].max()) + 1
    weight = listeners[tagged].astype(np.float64)
    sums = np.zeros((n_genres, item_vectors.shape[1]))
    np.add.at(sums, genres[tagged], item_vectors[tagged] * weight[:, None])
    totals = np.bincount(genres[tagged], weights=weight, minlength=n_genres)
    centroids = sums / np.maximum(totals, 1e-12)[:, None]
    keep = (weight / (weight + prior))[:, None]
    shrunk = item_vectors.copy()
    shrunk[tagged] = keep * item_vectors[tagged] + (1.0 - keep) * centroids[genres[tagged]]
    return shrunk.astype(np.float32)
