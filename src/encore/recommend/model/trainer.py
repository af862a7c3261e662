"""Training Encore's taste model (the `ModelTrainer` contract)."""

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

from encore.recommend.model.factors import solve_users, train_als
from encore.recommend.model.genres import checked_genres, toward_genres
from encore.recommend.model.hybrid import HybridTasteModel
from encore.recommend.model.neighbours import walk_graph
from encore.recommend.model.params import TasteParams
from encore.recommend.model.weighting import checked_plays, listeners, log_confidence

HYBRID_NAME = "hybrid"  # the name its models go by in the model store


class HybridTrainer:
    """Fits `HybridTasteModel`s with fixed parameters; the same seed gives the same model."""

    def __init__(self, params: TasteParams | None = None) -> None:
        self.params = params or TasteParams()

    def fit(self, plays: csr_matrix, item_genres: NDArray[np.int64] | None) -> HybridTasteModel:
        """`plays` is users x items float32 play counts; `item_genres[i]` a genre index or -1."""
        counts = checked_plays(plays)
        genres = checked_genres(item_genres, counts.shape[1])
        confidence = log_confidence(counts)
        p = self.params
        _, als_items = train_als(
            confidence,
            factors=p.factors,
            regularization=p.regularization,
            alpha=p.confidence,
            iterations=p.iterations,
            seed=p.seed,
            threads=p.threads,
        )
        popularity = listeners(counts)
        item_vectors = toward_genres(als_items, popularity, genres, prior=p.genre_prior)
        # One more least-squares step against the final item vectors: the served user vectors
        # are then exactly what `fold_in` gives for the same history.
        user_vectors = solve_users(
            confidence, item_vectors, regularization=p.regularization, alpha=p.confidence
        )
        graph = walk_graph(
            confidence,
            neighbours=p.neighbours,
            walk_exponent=p.walk_exponent,
            popularity_exponent=p.neighbour_popularity,
        )
        return HybridTasteModel(p, user_vectors, item_vectors, graph, popularity)

    def load(self, directory: Path) -> HybridTasteModel:
        return HybridTasteModel.load(directory)
