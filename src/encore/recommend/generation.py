"""What the per-user steps share within one batch run: inputs, model, index, and the tracks
each listener has to be spared: played lately, liked, or not playable for them (no audio, or
not licensed in their country)."""

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

from encore.recommend.domain import BatchInputs
from encore.recommend.ports import AnnIndex, TasteModel

SPARE_ROWS = 256  # listeners whose spared tracks are marked out densely at once


@dataclass
class Generation:
    inputs: BatchInputs
    model: TasteModel | None
    index: AnnIndex | None
    # Per input user, the model's user number (-1: absent from training, folded in).
    model_users: NDArray[np.int64]
    now: datetime
    model_version: str | None = None
    excluded: csr_matrix = field(init=False)
    track_ids: NDArray[np.object_] = field(init=False)
    _unavailable: dict[str, NDArray[np.bool_]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        spared = (self.inputs.recent + self.inputs.liked).tocsr()
        spared.sum_duplicates()
        spared.sort_indices()
        self.excluded = spared
        self.track_ids = np.asarray(self.inputs.track_ids, dtype=object)

    def history(self, user: int) -> csr_matrix:
        """The user's 1 x tracks row of play counts, cut straight from the matrix's arrays
        (scipy's row indexing costs several times as much, for every user)."""
        plays = self.inputs.plays
        start, end = plays.indptr[user], plays.indptr[user + 1]
        return csr_matrix(
            (plays.data[start:end], plays.indices[start:end], np.array([0, end - start])),
            shape=(1, plays.shape[1]),
        )

    def tastes(self, users: NDArray[np.int64]) -> NDArray[np.float32]:
        """Taste vectors of users (the model must be there)."""
        assert self.model is not None
        vectors = self.model.user_vectors
        found = np.empty((len(users), vectors.shape[1]), dtype=np.float32)
        numbers = self.model_users[users]
        known = numbers >= 0
        found[known] = vectors[numbers[known]]
        for row in np.flatnonzero(~known).tolist():
            found[row] = self.model.fold_in(self.history(int(users[row])))
        return found

    def spared_mask(self, users: NDArray[np.int64], items: NDArray[np.int64]) -> NDArray[np.bool_]:
        """For a users x k array of track numbers, True where the track is spared for that user
        (or is padding, -1)."""
        n = self.inputs.n_items
        mask = np.empty(items.shape, dtype=bool)
        # A few hundred listeners at a time, their spared tracks are marked in a dense
        # listeners x tracks block and the candidates read from it: a look-up each, where a
        # binary search over the partition's spared keys cost a dozen.
        marks = np.zeros((min(SPARE_ROWS, len(users)), n), dtype=bool)
        cells = marks.reshape(-1)
        padded = items < 0
        picked = np.where(padded, 0, items)
        for start in range(0, len(users), SPARE_ROWS):
            block = slice(start, start + SPARE_ROWS)
            rows = self.excluded[users[block]]
            owners = np.repeat(np.arange(rows.shape[0], dtype=np.int64), np.diff(rows.indptr))
            written = owners * n + rows.indices
            cells[written] = True
            mask[block] = np.take_along_axis(marks[: rows.shape[0]], picked[block], 1)
            cells[written] = False
        mask |= padded
        countries = np.asarray(self.inputs.user_countries, dtype=object)[users]
        for country in set(countries.tolist()):
            rows = np.flatnonzero(countries == country)
            mask[rows] |= self.unavailable(country)[picked[rows]]
        return mask

    def unavailable(self, country: str) -> NDArray[np.bool_]:
        """Per track, True when a listener in `country` cannot play it."""
        found = self._unavailable.get(country)
        if found is None:
            found = self._unavailable[country] = ~self.inputs.available_in(country)
        return found

    def spared_for(self, user: int) -> NDArray[np.int64]:
        start, end = self.excluded.indptr[user], self.excluded.indptr[user + 1]
        unavailable = np.flatnonzero(self.unavailable(self.inputs.user_countries[user]))
        found: NDArray[np.int64] = np.concatenate(
            [self.excluded.indices[start:end].astype(np.int64), unavailable]
        )
        return found

    def available_to(self, user: int, items: NDArray[np.int64]) -> NDArray[np.int64]:
        """`items` (track numbers) the user can play, in their order."""
        kept: NDArray[np.int64] = items[~self.unavailable(self.inputs.user_countries[user])[items]]
        return kept
