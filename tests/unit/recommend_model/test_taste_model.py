"""The hybrid taste model on generated data: shapes, fold-in, ranking, edge cases, determinism."""

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from encore.errors import InvalidInput
from encore.recommend.model import HybridTrainer, TasteParams

from .conftest import ITEMS_PER_CLUSTER, USERS_PER_CLUSTER, clustered_plays


def test_vectors_and_scores_have_the_contract_shapes(
    params: TasteParams, plays: csr_matrix
) -> None:
    model = HybridTrainer(params).fit(plays, None)

    assert model.user_vectors.shape == (plays.shape[0], 8)
    assert model.item_vectors.shape == (plays.shape[1], 8)
    assert model.user_vectors.dtype == model.item_vectors.dtype == np.float32
    items = np.array([3, 50, 7], dtype=np.int64)
    scores = model.score(0, plays[0], items)
    assert scores.shape == (3,)
    assert scores.dtype == np.float32
    assert model.fold_in(plays[0]).shape == (8,)


def test_fold_in_of_a_training_history_gives_the_trained_vector(
    params: TasteParams, plays: csr_matrix
) -> None:
    model = HybridTrainer(params).fit(plays, None)

    for user in (0, 17, 45):
        np.testing.assert_allclose(
            model.fold_in(plays[user]), model.user_vectors[user], rtol=1e-3, atol=1e-4
        )


def test_a_new_listener_is_placed_in_the_cluster_they_play(
    params: TasteParams, plays: csr_matrix
) -> None:
    model = HybridTrainer(params).fit(plays, None)
    history = csr_matrix(
        (np.array([30.0, 5.0, 12.0], dtype=np.float32), ([0, 0, 0], [41, 44, 47])),
        shape=(1, plays.shape[1]),
    )

    taste = model.fold_in(history)
    own = model.item_vectors[ITEMS_PER_CLUSTER:] @ taste
    other = model.item_vectors[:ITEMS_PER_CLUSTER] @ taste
    assert own.mean() > other.mean()
    # A user index outside the trained range is folded in from the history the same way.
    scores = model.score(-1, history, np.arange(plays.shape[1], dtype=np.int64))
    assert scores[ITEMS_PER_CLUSTER:].mean() > scores[:ITEMS_PER_CLUSTER].mean()


def test_hidden_plays_rank_near_the_top(params: TasteParams) -> None:
    plays = clustered_plays(seed=3)
    train = plays.tolil()
    hidden = {}
    rng = np.random.default_rng(5)
    for user in range(plays.shape[0]):
        item = int(rng.choice(plays[user].indices))
        hidden[user] = item
        train[user, item] = 0
    model = HybridTrainer(params).fit(csr_matrix(train), None)

    every = np.arange(plays.shape[1], dtype=np.int64)
    ranks = []
    for user, item in hidden.items():
        scores = model.score(user, csr_matrix(train[user]), every)
        scores[csr_matrix(train[user]).indices] = -np.inf
        ranks.append(int((scores > scores[item]).sum()))
    # 69 unseen items per user, 28 of them in the right cluster: a random ranker's median is ~34.
    assert np.median(ranks) < 15


def test_the_same_seed_gives_the_same_model_and_another_seed_does_not(
    params: TasteParams, plays: csr_matrix
) -> None:
    first = HybridTrainer(params).fit(plays, None)
    again = HybridTrainer(params).fit(plays, None)
    other = HybridTrainer(TasteParams(**{**params.as_dict(), "seed": 1})).fit(plays, None)

    np.testing.assert_array_equal(first.user_vectors, again.user_vectors)
    np.testing.assert_array_equal(first.item_vectors, again.item_vectors)
    every = np.arange(plays.shape[1], dtype=np.int64)
    np.testing.assert_array_equal(first.score(4, plays[4], every), again.score(4, plays[4], every))
    assert not np.allclose(first.item_vectors, other.item_vectors)


def test_a_one_artist_catalog_trains_and_scores(params: TasteParams) -> None:
    plays = csr_matrix(np.array([[3.0], [10.0], [1.0]], dtype=np.float32))

    model = HybridTrainer(params).fit(plays, np.array([0], dtype=np.int64))

    assert model.item_vectors.shape == (1, 8)
    scores = model.score(1, plays[1], np.array([0], dtype=np.int64))
    assert scores.shape == (1,)
    assert np.isfinite(scores).all()
    assert model.score(0, plays[0], np.array([], dtype=np.int64)).shape == (0,)


def test_a_user_with_no_plays_gets_popularity_and_a_zero_taste(
    params: TasteParams, plays: csr_matrix
) -> None:
    with_silent_user = csr_matrix(
        np.vstack([plays.toarray(), np.zeros((1, plays.shape[1]), dtype=np.float32)])
    )
    model = HybridTrainer(params).fit(with_silent_user, None)
    silent = with_silent_user.shape[0] - 1
    empty = csr_matrix((1, plays.shape[1]), dtype=np.float32)

    assert not model.user_vectors[silent].any()
    assert not model.fold_in(empty).any()
    every = np.arange(plays.shape[1], dtype=np.int64)
    scores = model.score(silent, empty, every)
    listeners = np.diff(csr_matrix(plays.T).indptr)
    assert int(np.argmax(scores)) in set(np.flatnonzero(listeners == listeners.max()))
    assert len(set(scores.tolist())) > 1


def test_an_empty_matrix_trains_to_empty_vectors(params: TasteParams) -> None:
    model = HybridTrainer(params).fit(csr_matrix((0, 0), dtype=np.float32), None)

    assert model.user_vectors.shape == (0, 8)
    assert model.item_vectors.shape == (0, 8)


@pytest.mark.parametrize(
    ("plays", "genres", "message"),
    [
        (csr_matrix(np.array([[-1.0, 2.0]], dtype=np.float32)), None, "not negative"),
        (csr_matrix(np.array([[np.nan, 2.0]], dtype=np.float32)), None, "finite"),
        (csr_matrix(np.ones((2, 3), dtype=np.float32)), np.array([0, 1]), "one entry per item"),
        (
            csr_matrix(np.ones((2, 3), dtype=np.float32)),
            np.array([0, -2, 1]),
            "non-negative integer",
        ),
        (csr_matrix(np.ones((2, 2), dtype=np.float32)), np.array([0.5, 1.0]), "integer"),
    ],
)
def test_bad_training_input_is_refused_clearly(
    params: TasteParams, plays: csr_matrix, genres: np.ndarray | None, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        HybridTrainer(params).fit(plays, genres)


def test_bad_scoring_input_is_refused_clearly(params: TasteParams, plays: csr_matrix) -> None:
    model = HybridTrainer(params).fit(plays, None)
    n_items = plays.shape[1]

    with pytest.raises(InvalidInput, match="lie in"):
        model.score(0, plays[0], np.array([n_items], dtype=np.int64))
    with pytest.raises(InvalidInput, match="lie in"):
        model.score(0, plays[0], np.array([-1], dtype=np.int64))
    with pytest.raises(InvalidInput, match="columns"):
        model.score(0, csr_matrix((1, n_items + 1), dtype=np.float32), np.array([0]))
    with pytest.raises(InvalidInput, match="single"):
        model.fold_in(plays[:2])
    with pytest.raises(InvalidInput, match="1-dimensional"):
        model.score(0, plays[0], np.array([[0]], dtype=np.int64))


def test_bad_parameters_are_refused_clearly() -> None:
    with pytest.raises(InvalidInput, match="at least 1"):
        TasteParams(factors=0)
    with pytest.raises(InvalidInput, match="positive"):
        TasteParams(regularization=0.0)
    with pytest.raises(InvalidInput, match="not be negative"):
        TasteParams(neighbour_weight=-1.0)
    with pytest.raises(InvalidInput, match="popularity_discount must not be negative"):
        TasteParams(popularity_discount=-0.1)
    with pytest.raises(InvalidInput, match="popularity_scale must be positive"):
        TasteParams(popularity_scale=0.0)
    with pytest.raises(InvalidInput, match="unknown"):
        TasteParams.from_dict({"factor": 3})


def test_users_cluster_sizes_match_the_generator(plays: csr_matrix) -> None:
    # Guards the premise the ranking tests rest on.
    assert plays.shape == (2 * USERS_PER_CLUSTER, 2 * ITEMS_PER_CLUSTER)
    assert set(plays[:USERS_PER_CLUSTER].indices) <= set(range(ITEMS_PER_CLUSTER))


def test_block_scores_are_the_per_listener_scores(params: TasteParams, plays: csr_matrix) -> None:
    model = HybridTrainer(params).fit(plays, None)
    rng = np.random.default_rng(5)
    users = np.array([0, 17, -1, 45, 3], dtype=np.int64)
    # The last: a trained listener whose history is gone (the taste vector alone).
    histories = csr_matrix(plays[[0, 17, 20, 45, 3]].multiply(np.array([[1], [1], [1], [1], [0]])))
    items = rng.integers(-1, plays.shape[1], (5, 30))

    block = model.score_block(users, histories, items)
    shared = model.score_block(users, histories, np.arange(plays.shape[1], dtype=np.int64))

    for row, user in enumerate(users.tolist()):
        asked = items[row][items[row] >= 0]
        one = model.score(user, histories[row], asked)
        np.testing.assert_allclose(block[row][items[row] >= 0], one, rtol=1e-4, atol=1e-6)
        assert np.isneginf(block[row][items[row] < 0]).all()
        every = model.score(user, histories[row], np.arange(plays.shape[1], dtype=np.int64))
        np.testing.assert_allclose(shared[row], every, rtol=1e-4, atol=1e-6)


def test_block_scores_refuse_mismatched_rows(params: TasteParams, plays: csr_matrix) -> None:
    model = HybridTrainer(params).fit(plays, None)
    with pytest.raises(InvalidInput):
        model.score_block(np.array([0, 1]), plays[[0]], np.array([1, 2]))
    with pytest.raises(InvalidInput):
        model.score_block(np.array([0]), plays[[0]], np.array([[1, 2], [3, 4]]))
    with pytest.raises(InvalidInput):
        model.score_block(np.array([0]), plays[[0]], np.array([[1, -2]]))


def test_the_popularity_discount_subtracts_log_listeners_from_the_blend(
    params: TasteParams, plays: csr_matrix
) -> None:
    plain = HybridTrainer(TasteParams(**{**params.as_dict(), "popularity_discount": 0.0}))
    discounted = HybridTrainer(
        TasteParams(**{**params.as_dict(), "popularity_discount": 0.3, "popularity_scale": 2.0})
    )
    every = np.arange(plays.shape[1], dtype=np.int64)
    listeners = np.diff(csr_matrix(plays.T).indptr).astype(np.float64)

    before = plain.fit(plays, None).score(3, plays[3], every)
    after = discounted.fit(plays, None).score(3, plays[3], every)

    np.testing.assert_allclose(before - after, 0.3 * np.log1p(listeners / 2.0), atol=1e-5)


def test_a_stronger_discount_reaches_more_of_the_catalog(
    params: TasteParams, plays: csr_matrix
) -> None:
    every = np.arange(plays.shape[1], dtype=np.int64)
    users = np.arange(plays.shape[0], dtype=np.int64)

    def reached(discount: float) -> int:
        setting = TasteParams(**{**params.as_dict(), "popularity_discount": discount})
        scores = HybridTrainer(setting).fit(plays, None).score_block(users, plays, every)
        scores[plays.nonzero()] = -np.inf  # what each listener already plays
        return np.unique(np.argsort(-scores, axis=1)[:, :3]).size

    assert reached(0.5) > reached(0.0)
