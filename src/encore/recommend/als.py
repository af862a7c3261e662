"""A straightforward taste model: `implicit`'s ALS on confidence-weighted play counts.

Confidence grows with the logarithm of the play count (`1 + alpha * log1p(plays)`), so that a
track played a thousand times does not drown out everything else a listener plays. The
production model (`encore.recommend.model`) keeps the same contract.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

FORMAT = "encore-als-1"
ALS_NAME = "als"  # the name its models go by in the model store


def confidence(plays: csr_matrix, alpha: float) -> csr_matrix:
    weighted = plays.astype(np.float32, copy=True)
    weighted.data = (alpha * np.log1p(weighted.data)).astype(np.float32)
    return weighted


@dataclass(frozen=True)
class AlsModel:
    users: NDArray[np.float32]
    items: NDArray[np.float32]
    regularization: float
    alpha: float

    @property
    def user_vectors(self) -> NDArray[np.float32]:
        return self.users

    @property
    def item_vectors(self) -> NDArray[np.float32]:
        return self.items

    def score(
        self, user: int, history: csr_matrix, items: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        taste = self.users[user] if 0 <= user < len(self.users) else self.fold_in(history)
        scores: NDArray[np.float32] = self.items[items] @ taste
        return scores

    def score_block(
        self, users: NDArray[np.int64], histories: csr_matrix, items: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        rows = csr_matrix(histories)
        tastes = np.empty((len(users), self.items.shape[1]), dtype=np.float32)
        for row, user in enumerate(np.asarray(users).tolist()):
            tastes[row] = (
                self.users[user] if 0 <= user < len(self.users) else (self.fold_in(rows[row]))
            )
        wanted = np.asarray(items, dtype=np.int64)
        if wanted.ndim == 1:
            shared: NDArray[np.float32] = tastes @ self.items[wanted].T
            return shared
        padding = wanted < 0
        scores: NDArray[np.float32] = np.einsum(
            "rkd,rd->rk", self.items[np.where(padding, 0, wanted)], tastes
        )
        scores[padding] = -np.inf
        return scores

    def fold_in(self, history: csr_matrix) -> NDArray[np.float32]:
        """The least-squares taste of a listener the model never saw, items held fixed (one
        half-step of ALS)."""
        row = confidence(csr_matrix(history), self.alpha)
        row.eliminate_zeros()
        seen = row.indices
        if len(seen) == 0:
            return np.zeros(self.items.shape[1], dtype=np.float32)
        y = self.items[seen].astype(np.float64)
        c = row.data.astype(np.float64)
        gram = self.items.T.astype(np.float64) @ self.items
        a = gram + (y.T * c) @ y + self.regularization * np.eye(y.shape[1])
        b = ((1.0 + c)[:, None] * y).sum(axis=0)
        return np.linalg.solve(a, b).astype(np.float32)

    def save(self, directory: Path) -> None:
        np.save(directory / "user_vectors.npy", self.users)
        np.save(directory / "item_vectors.npy", self.items)
        (directory / "als.json").write_text(
            json.dumps(
                {"format": FORMAT, "regularization": self.regularization, "alpha": self.alpha}
            )
        )


class AlsTrainer:
    def __init__(
        self,
        *,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 20.0,
        iterations: int = 15,
        threads: int = 0,
        seed: int = 7,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.threads = threads
        self.seed = seed

    def fit(self, plays: csr_matrix, item_genres: NDArray[np.int64] | None) -> AlsModel:
        # Heavy and compiled: imported when a model is trained, not when one is served.
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        # implicit parallelises over users itself; BLAS threads on top would fight it.
        with threadpool_limits(1, "blas"):
            als = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                iterations=self.iterations,
                num_threads=self.threads,
                random_state=self.seed,
                calculate_training_loss=False,
            )
            als.fit(confidence(csr_matrix(plays), self.alpha), show_progress=False)
        return AlsModel(
            users=np.ascontiguousarray(als.user_factors, dtype=np.float32),
            items=np.ascontiguousarray(als.item_factors, dtype=np.float32),
            regularization=self.regularization,
            alpha=self.alpha,
        )

    def load(self, directory: Path) -> AlsModel:
        meta = json.loads((directory / "als.json").read_text())
        if meta.get("format") != FORMAT:
            raise ValueError(f"{directory} holds no {FORMAT} model")
        return AlsModel(
            users=np.load(directory / "user_vectors.npy"),
            items=np.load(directory / "item_vectors.npy"),
            regularization=float(meta["regularization"]),
            alpha=float(meta["alpha"]),
        )
