"""The hyper-parameters of Encore's taste model, saved with every trained model."""

from dataclasses import asdict, dataclass, fields
from typing import Any

from encore.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class TasteParams:
    """How the hybrid is trained and how its two scores are blended.

    The defaults are the values `bench/recommend.py` chose on its validation split (carved out
    of the training data of the Last.fm HetRec 2011 set, never its test split).
    """

    # Matrix factorisation (implicit ALS on log-scaled play counts).
    factors: int = 24
    regularization: float = 10.0
    confidence: float = 2.0  # implicit's alpha: confidence = confidence * log(1 + plays)
    iterations: int = 15
    # Sparse item-item graph (RP3beta): a two-step random walk item -> user -> item whose
    # arrival probabilities are divided by popularity ** neighbour_popularity, top-k per item.
    neighbours: int = 300
    walk_exponent: float = 0.8
    neighbour_popularity: float = 0.3
    # Blend, for an item with n listeners (both scores at most 1, the graph's over the
    # listener's best): als cosine + neighbour_weight * graph
    #                   - popularity_discount * log(1 + n / popularity_scale).
    neighbour_weight: float = 1.5
    popularity_discount: float = 0.12
    popularity_scale: float = 3.0
    # Content: a track with n listeners gets (n * own + genre_prior * genre centroid) / (n + prior).
    genre_prior: float = 2.0
    seed: int = 0
    threads: int = 0  # 0: every core

    def __post_init__(self) -> None:
        if self.factors < 1 or self.iterations < 1 or self.neighbours < 1:
            raise InvalidInput("factors, iterations and neighbours must be at least 1")
        positive = ("regularization", "confidence", "walk_exponent", "genre_prior")
        for name in (*positive, "popularity_scale"):
            if not getattr(self, name) > 0:
                raise InvalidInput(f"{name} must be positive")
        for name in ("neighbour_popularity", "neighbour_weight", "popularity_discount"):
            if not getattr(self, name) >= 0:
                raise InvalidInput(f"{name} must not be negative")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TasteParams":
        known = {field.name for field in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise InvalidInput(f"unknown taste model parameters: {', '.join(sorted(unknown))}")
        return cls(**values)
