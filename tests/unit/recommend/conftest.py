"""Generated listening, a model trained on it and an index over it: small, built once."""

from datetime import UTC, datetime

import numpy as np
import pytest

from encore.adapters.recommend.faiss_index import FaissIndexBuilder
from encore.recommend.als import AlsModel, AlsTrainer
from encore.recommend.domain import BatchInputs
from encore.recommend.generation import Generation
from encore.recommend.synthetic import listening

# A Wednesday.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="package")
def inputs() -> BatchInputs:
    return listening(users=300, tracks=3_000, now=NOW, genres=12, plays_per_user=30)


@pytest.fixture(scope="package")
def als(inputs: BatchInputs) -> AlsModel:
    return AlsTrainer(factors=16, iterations=4, threads=1).fit(inputs.plays, inputs.item_genre)


@pytest.fixture
def generation(inputs: BatchInputs, als: AlsModel) -> Generation:
    return Generation(
        inputs=inputs,
        model=als,
        index=FaissIndexBuilder(threads=1).build(als.item_vectors),
        model_users=np.arange(inputs.n_users, dtype=np.int64),
        now=NOW,
        model_version="v1",
    )
