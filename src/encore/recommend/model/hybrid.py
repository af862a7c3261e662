"""Encore's taste model: ALS taste vectors blended with a sparse item-item graph.

The ALS vectors give the candidates (the ANN index holds `item_vectors`) and a smooth taste
score; the RP3beta graph re-scores them from the listener's own history. Each is on a scale of
its own listener's best (at most 1), and a popularity discount subtracted from their sum keeps
the hits from taking every list, so the model reaches far more of the catalog than ALS alone.
Every part is sparse or low-rank, so the model grows linearly with users and tracks.
"""

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

from encore.errors import InvalidInput
from encore.recommend.model.factors import solve_users
from encore.recommend.model.params import TasteParams
from encore.recommend.model.storage import BrokenModel, read_manifest, write_atomically
from encore.recommend.model.weighting import checked_plays, log_confidence

FORMAT = "encore-taste-hybrid"
VERSION = 2  # 2: a popularity discount subtracted from the blend (1 scaled the ALS score)
VECTORS = "vectors.npz"
GRAPH = "graph.npz"
# Listeners whose walks are spread out dense at once (rows x n_items): few, so that the block
# stays in cache while the walk is scattered into it and picked from.
WALK_ROWS = 8
# Listeners whose candidates' vectors are gathered at once (rows x k x d): few enough for the
# gathered block to stay in cache for the product that follows.
GATHER_ROWS = 32


class HybridTasteModel:
    """A trained model over a fixed user and item index space (the `TasteModel` contract)."""

    def __init__(
        self,
        params: TasteParams,
        user_vectors: NDArray[np.float32],
        item_vectors: NDArray[np.float32],
        graph: csr_matrix,
        listeners: NDArray[np.float32],
    ) -> None:
        n_items = item_vectors.shape[0]
        if graph.shape != (n_items, n_items) or listeners.shape != (n_items,):
            raise InvalidInput("graph and listeners must match the number of items")
        if user_vectors.shape[1:] != item_vectors.shape[1:]:
            raise InvalidInput("user and item vectors must have the same dimension")
        self.params = params
        self._users = user_vectors
        self._items = item_vectors
        self._graph = graph
        self._listeners = listeners
        # Subtracted, not multiplied: it must move items down whatever the sign of their score.
        # Nearly flat among items with a few listeners, whose scores are the noisiest.
        self._discount = (
            params.popularity_discount * np.log1p(listeners / params.popularity_scale)
        ).astype(np.float32)
        norms = np.linalg.norm(item_vectors, axis=1) if n_items else np.zeros(0)
        self._largest_item_norm = float(norms.max(initial=0.0))
        log_listeners = np.log1p(listeners)
        self._popularity = (log_listeners / max(float(log_listeners.max(initial=0)), 1.0)).astype(
            np.float32
        )

    @property
    def user_vectors(self) -> NDArray[np.float32]:
        return self._users

    @property
    def item_vectors(self) -> NDArray[np.float32]:
        return self._items

    @property
    def n_items(self) -> int:
        return int(self._items.shape[0])

    def score(
        self, user: int, history: csr_matrix, items: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        """Final ranking score of `items` for `user` (higher is better).

        A `user` outside the trained range is folded in from `history`. A listener with neither
        a taste vector nor history gets the items' popularity, so the answer is never all ties.
        """
        wanted = self._checked_items(items)
        confidence = log_confidence(checked_plays(history, columns=self.n_items))
        if confidence.shape[0] != 1:
            raise InvalidInput("history must be a single 1 x n_items row")
        trained = 0 <= user < self._users.shape[0]
        taste = self._users[user] if trained else self._fold_in(confidence)
        taste_norm = float(np.linalg.norm(taste))
        if confidence.nnz == 0 and taste_norm == 0.0:
            return self._popularity[wanted].copy()
        scores = np.zeros(wanted.size, dtype=np.float32)
        if taste_norm > 0.0 and self._largest_item_norm > 0.0:
            # Cosine-like scale that does not depend on which items were asked for.
            als = self._items[wanted] @ taste / (taste_norm * self._largest_item_norm)
            scores += als.astype(np.float32)
        scores += self.params.neighbour_weight * self._graph_scores(confidence, wanted)
        scores -= self._discount[wanted]
        return scores

    def score_block(
        self, users: NDArray[np.int64], histories: csr_matrix, items: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        """`score` for many listeners at once: row r of `histories` is `users[r]`'s history;
        `items` is one row of item numbers per listener (n x k, -1 pads and scores -inf) or a
        single 1-D array asked of every listener. One matrix product per part, not per user."""
        confidence = log_confidence(checked_plays(histories, columns=self.n_items))
        numbers = np.asarray(users, dtype=np.int64)
        if numbers.ndim != 1 or confidence.shape[0] != numbers.size:
            raise InvalidInput("users and histories must have one row per listener")
        shared = np.asarray(items).ndim == 1
        wanted = self._checked_items(items) if shared else self._checked_rows(items, numbers.size)
        padding = None if shared else wanted < 0
        if padding is not None:
            wanted = np.where(padding, 0, wanted)
        tastes = self._tastes(numbers, confidence)
        norms = np.linalg.norm(tastes, axis=1)
        scores = np.zeros((numbers.size, wanted.shape[-1]), dtype=np.float32)
        if self._largest_item_norm > 0.0:
            scale = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-30), 0.0)
            unit = (tastes * (scale / self._largest_item_norm)[:, None]).astype(np.float32)
            if shared:
                scores += unit @ self._items[wanted].T
            else:
                for start in range(0, numbers.size, GATHER_ROWS):
                    rows = slice(start, start + GATHER_ROWS)
                    gathered = self._items[wanted[rows]]  # rows x k x d
                    dots = np.einsum("rkd,rd->rk", gathered, unit[rows])
                    scores[rows] += dots
        scores += self.params.neighbour_weight * self._graph_block(confidence, wanted)
        scores -= self._discount[wanted]
        cold = (np.diff(confidence.indptr) == 0) & (norms == 0.0)
        if cold.any():
            scores[cold] = self._popularity[wanted if shared else wanted[cold]]
        if padding is not None:
            scores[padding] = -np.inf
        return scores

    def fold_in(self, history: csr_matrix) -> NDArray[np.float32]:
        """A taste vector (d,) for a listener absent from training, from a 1 x n_items row."""
        confidence = log_confidence(checked_plays(history, columns=self.n_items))
        if confidence.shape[0] != 1:
            raise InvalidInput("history must be a single 1 x n_items row")
        return self._fold_in(confidence)

    def save(self, directory: Path) -> None:
        """Write the model into `directory` (absent or empty) atomically."""
        graph = self._graph

        def write_vectors(path: Path) -> None:
            with path.open("wb") as stream:
                np.savez(stream, users=self._users, items=self._items, listeners=self._listeners)

        def write_graph(path: Path) -> None:
            with path.open("wb") as stream:
                np.savez(
                    stream,
                    data=graph.data,
                    indices=graph.indices,
                    indptr=graph.indptr,
                    shape=np.asarray(graph.shape, dtype=np.int64),
                )

        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "params": self.params.as_dict(),
            "users": int(self._users.shape[0]),
            "items": self.n_items,
            "dimension": int(self._items.shape[1]),
        }
        write_atomically(Path(directory), manifest, {VECTORS: write_vectors, GRAPH: write_graph})

    @classmethod
    def load(cls, directory: Path) -> "HybridTasteModel":
        """Read a model `save` wrote; `BrokenModel` if it is missing, incomplete or damaged."""
        manifest = read_manifest(Path(directory), format_name=FORMAT, versions={VERSION})
        try:
            params = TasteParams.from_dict(manifest["params"])
            with np.load(Path(directory) / VECTORS, allow_pickle=False) as vectors:
                users = vectors["users"].astype(np.float32)
                items = vectors["items"].astype(np.float32)
                listeners = vectors["listeners"].astype(np.float32)
            with np.load(Path(directory) / GRAPH, allow_pickle=False) as parts:
                shape = tuple(int(side) for side in parts["shape"])
                arrays = (parts["data"], parts["indices"], parts["indptr"])
                graph = csr_matrix(arrays, shape=shape, dtype=np.float32)
            model = cls(params, users, items, graph, listeners)
        except (KeyError, ValueError, TypeError, OSError, InvalidInput) as error:
            raise BrokenModel(f"{directory} holds an unreadable model: {error}") from error
        if model.n_items != manifest.get("items") or users.shape[0] != manifest.get("users"):
            raise BrokenModel(f"{directory}: the arrays do not match the manifest's sizes")
        return model

    def _fold_in(self, confidence: csr_matrix) -> NDArray[np.float32]:
        vectors = solve_users(
            confidence,
            self._items,
            regularization=self.params.regularization,
            alpha=self.params.confidence,
        )
        taste: NDArray[np.float32] = vectors[0]
        return taste

    def _tastes(self, users: NDArray[np.int64], confidence: csr_matrix) -> NDArray[np.float32]:
        trained = (users >= 0) & (users < self._users.shape[0])
        tastes = np.empty((users.size, self._items.shape[1]), dtype=np.float32)
        tastes[trained] = self._users[users[trained]]
        absent = np.flatnonzero(~trained)
        if absent.size:
            tastes[absent] = solve_users(
                csr_matrix(confidence[absent]),
                self._items,
                regularization=self.params.regularization,
                alpha=self.params.confidence,
            )
        return tastes

    def _graph_block(self, confidence: csr_matrix, items: NDArray[np.int64]) -> NDArray[np.float32]:
        """Each row's walk scores for its `items` (n x k, or k shared), over the row's best.

        A few rows at a time, the sparse walk is scattered into a dense block to pick
        the asked items from: cheaper than sorting a sparse product of a partition's size and
        searching it. The block is allocated once per call and only its written cells are
        cleared again, not the whole rows x n_items.
        """
        n = confidence.shape[0]
        n_items = self.n_items
        found = np.zeros((n, items.shape[-1]), dtype=np.float32)
        dense = np.zeros((min(WALK_ROWS, n), n_items), dtype=np.float32)
        cells = dense.reshape(-1)
        for start in range(0, n, WALK_ROWS):
            rows = slice(start, min(start + WALK_ROWS, n))
            walk = csr_matrix(confidence[rows] @ self._graph, dtype=np.float32)
            count = walk.shape[0]
            lengths = np.diff(walk.indptr)
            owners = np.repeat(np.arange(count, dtype=np.int64), lengths)
            written = owners * n_items + walk.indices
            cells[written] = walk.data
            best = np.zeros(count, dtype=np.float32)
            some = lengths > 0
            if some.any():
                best[some] = np.maximum.reduceat(walk.data, walk.indptr[:-1][some])
            inverse = np.where(best > 0, 1.0 / np.where(best > 0, best, 1.0), 0.0)
            block = dense[:count]
            asked = (
                block[:, items] if items.ndim == 1 else np.take_along_axis(block, items[rows], 1)
            )
            found[rows] = asked * inverse[:, None].astype(np.float32)
            cells[written] = 0.0
        return found

    def _graph_scores(
        self, confidence: csr_matrix, items: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        """The history's walk scores for `items`, scaled by the row's best (any item asked)."""
        walk = csr_matrix(confidence @ self._graph)
        if walk.nnz == 0:
            return np.zeros(items.size, dtype=np.float32)
        walk.sort_indices()
        best = float(walk.data.max())
        if best <= 0.0:
            return np.zeros(items.size, dtype=np.float32)
        slots = np.searchsorted(walk.indices, items)
        slots = np.minimum(slots, walk.indices.size - 1)
        found = walk.indices[slots] == items
        return np.where(found, walk.data[slots] / best, 0.0).astype(np.float32)

    def _checked_rows(self, items: NDArray[np.int64], rows: int) -> NDArray[np.int64]:
        wanted = np.asarray(items)
        if wanted.ndim != 2 or wanted.shape[0] != rows:
            raise InvalidInput("items must hold one row of item indices per listener")
        if wanted.size and not np.issubdtype(wanted.dtype, np.integer):
            raise InvalidInput("items must be item indices")
        if wanted.size and (wanted.min() < -1 or wanted.max() >= self.n_items):
            raise InvalidInput(f"item indices must lie in [0, {self.n_items}), or be -1 (padding)")
        return wanted.astype(np.int64)

    def _checked_items(self, items: NDArray[np.int64]) -> NDArray[np.int64]:
        wanted = np.asarray(items)
        if wanted.ndim != 1 or (wanted.size and not np.issubdtype(wanted.dtype, np.integer)):
            raise InvalidInput("items must be a 1-dimensional array of item indices")
        if wanted.size and (wanted.min() < 0 or wanted.max() >= self.n_items):
            raise InvalidInput(f"item indices must lie in [0, {self.n_items})")
        return wanted.astype(np.int64)
