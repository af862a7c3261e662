"""Generated listening data with a known structure: two taste clusters of users and items."""

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from encore.recommend.model import TasteParams

USERS_PER_CLUSTER = 30
ITEMS_PER_CLUSTER = 40


def clustered_plays(seed: int = 0, *, extra_items: int = 0) -> csr_matrix:
    """Users 0-29 play items 0-39, users 30-59 play items 40-79, 12 items each, skewed counts;
    `extra_items` columns at the end nobody plays."""
    rng = np.random.default_rng(seed)
    rows, cols, counts = [], [], []
    for user in range(2 * USERS_PER_CLUSTER):
        first = 0 if user < USERS_PER_CLUSTER else ITEMS_PER_CLUSTER
        # A few hits everyone plays, then a long tail.
        weights = 1.0 / np.arange(1, ITEMS_PER_CLUSTER + 1)
        chosen = rng.choice(ITEMS_PER_CLUSTER, size=12, replace=False, p=weights / weights.sum())
        rows += [user] * chosen.size
        cols += list(first + chosen)
        counts += list(rng.integers(1, 200, size=chosen.size))
    shape = (2 * USERS_PER_CLUSTER, 2 * ITEMS_PER_CLUSTER + extra_items)
    return csr_matrix((np.array(counts, dtype=np.float32), (rows, cols)), shape=shape)


@pytest.fixture
def params() -> TasteParams:
    return TasteParams(factors=8, iterations=8, neighbours=10, threads=1)


@pytest.fixture
def plays() -> csr_matrix:
    return clustered_plays()
