"""The content signal (genre prior for tracks with few plays) and the sparse item-item graph."""

import numpy as np
from scipy.sparse import csr_matrix

from encore.recommend.model import HybridTrainer, TasteParams
from encore.recommend.model.neighbours import walk_graph

from .conftest import ITEMS_PER_CLUSTER, USERS_PER_CLUSTER, clustered_plays

ROCK_NEWCOMER = 2 * ITEMS_PER_CLUSTER
JAZZ_NEWCOMER = ROCK_NEWCOMER + 1


def _genres() -> np.ndarray:
    # Cluster 0 is rock (0), cluster 1 jazz (1); then one unplayed new track of each.
    return np.array([0] * ITEMS_PER_CLUSTER + [1] * ITEMS_PER_CLUSTER + [0, 1], dtype=np.int64)


def test_a_new_track_is_found_by_listeners_of_its_genre(params: TasteParams) -> None:
    plays = clustered_plays(extra_items=2)
    model = HybridTrainer(params).fit(plays, _genres())
    newcomers = np.array([ROCK_NEWCOMER, JAZZ_NEWCOMER], dtype=np.int64)

    rock_fan, jazz_fan = 0, USERS_PER_CLUSTER
    rock_scores = model.score(rock_fan, plays[rock_fan], newcomers)
    jazz_scores = model.score(jazz_fan, plays[jazz_fan], newcomers)
    assert rock_scores[0] > rock_scores[1]
    assert jazz_scores[1] > jazz_scores[0]
    # The ANN index holds item_vectors: the new rock track sits among the rock tracks there.
    rock_taste = model.user_vectors[rock_fan]
    by_taste = np.argsort(-(model.item_vectors @ rock_taste))
    assert int(np.flatnonzero(by_taste == ROCK_NEWCOMER)[0]) < ITEMS_PER_CLUSTER
    assert int(np.flatnonzero(by_taste == JAZZ_NEWCOMER)[0]) >= ITEMS_PER_CLUSTER


def test_without_genres_a_new_track_has_no_signal(params: TasteParams) -> None:
    plays = clustered_plays(extra_items=2)
    model = HybridTrainer(params).fit(plays, None)

    assert not model.item_vectors[ROCK_NEWCOMER].any()
    scores = model.score(0, plays[0], np.array([ROCK_NEWCOMER, JAZZ_NEWCOMER], dtype=np.int64))
    assert scores[0] == scores[1] == 0.0


def test_the_genre_prior_barely_moves_a_track_with_many_listeners(params: TasteParams) -> None:
    plays = clustered_plays(extra_items=2)
    plain = HybridTrainer(params).fit(plays, None)
    with_genres = HybridTrainer(params).fit(plays, _genres())
    listeners = np.diff(csr_matrix(plays.T).indptr)
    hit = int(np.argmax(listeners[:ITEMS_PER_CLUSTER]))

    def cosine(a: np.ndarray, b: np.ndarray) -> float:
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    assert cosine(plain.item_vectors[hit], with_genres.item_vectors[hit]) > 0.95


def test_the_graph_keeps_k_neighbours_without_self_links_in_probability_rows() -> None:
    plays = clustered_plays()
    graph = walk_graph(plays, neighbours=5, walk_exponent=1.0, popularity_exponent=0.3)

    assert graph.shape == (plays.shape[1], plays.shape[1])
    per_row = np.diff(graph.indptr)
    assert per_row.max() == 5
    assert not graph.diagonal().any()
    sums = np.asarray(graph.sum(axis=1)).ravel()
    np.testing.assert_allclose(sums[per_row > 0], 1.0, rtol=1e-5)
    # Items only ever link within their own cluster.
    rows = np.repeat(np.arange(graph.shape[0]), per_row)
    assert ((rows < ITEMS_PER_CLUSTER) == (graph.indices < ITEMS_PER_CLUSTER)).all()


def test_the_popularity_exponent_moves_weight_to_less_played_neighbours() -> None:
    plays = clustered_plays()
    listeners = np.diff(csr_matrix(plays.T).indptr).astype(float)

    def mean_neighbour_listeners(exponent: float) -> float:
        graph = walk_graph(plays, neighbours=10, walk_exponent=1.0, popularity_exponent=exponent)
        return float((graph @ listeners).mean())

    assert mean_neighbour_listeners(0.8) < mean_neighbour_listeners(0.0)


def test_the_graph_is_built_the_same_in_blocks(monkeypatch: object) -> None:
    import encore.recommend.model.neighbours as neighbours

    plays = clustered_plays()
    whole = walk_graph(plays, neighbours=7, walk_exponent=0.9, popularity_exponent=0.4)
    monkeypatch.setattr(neighbours, "BLOCK_ITEMS", 9)  # type: ignore[attr-defined]
    blocked = walk_graph(plays, neighbours=7, walk_exponent=0.9, popularity_exponent=0.4)

    assert (whole != blocked).nnz == 0
