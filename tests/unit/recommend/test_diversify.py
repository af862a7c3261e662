import numpy as np

from encore.recommend.diversify import diversify, diversify_rows, rank_within


def test_rank_within_counts_earlier_members_of_the_group() -> None:
    groups = np.array([3, 1, 3, 3, 1, 2], dtype=np.int64)
    assert rank_within(groups).tolist() == [0, 0, 1, 2, 1, 0]
    assert rank_within(np.zeros(0, dtype=np.int64)).tolist() == []


def test_caps_keep_the_best_first_and_pass_over_the_rest() -> None:
    artist = np.array([0, 0, 0, 1, 1, 2, 3, 4], dtype=np.int64)
    genre = np.array([0, 0, 0, 0, 0, 0, -1, -1], dtype=np.int64)
    ranked = np.arange(8, dtype=np.int64)
    chosen = diversify(ranked, artist, genre, length=5, per_artist=2, per_genre=3)
    # Artist 0 has two (0, 1); genre 0 stops at three (0, 1, 3); tracks without genre are free.
    assert chosen.tolist() == [0, 1, 3, 6, 7]


def test_fewer_than_asked_when_the_caps_leave_no_more() -> None:
    artist = np.zeros(10, dtype=np.int64)
    genre = np.full(10, -1, dtype=np.int64)
    assert diversify(
        np.arange(10), artist, genre, length=30, per_artist=2, per_genre=5
    ).tolist() == [0, 1]


def test_rows_at_once_pick_what_each_row_alone_picks() -> None:
    rng = np.random.default_rng(3)
    item_artist = rng.integers(0, 40, 500)
    item_genre = rng.integers(-1, 8, 500)
    ranked = np.stack([rng.permutation(500)[:120] for _ in range(25)])
    ranked[3, 10:] = -1  # a row with few candidates
    ranked[7, ::3] = -1  # holes where spared tracks were
    ranked[9, :] = -1  # none at all

    together = diversify_rows(ranked, item_artist, item_genre, length=30, per_artist=2, per_genre=5)

    assert len(together) == 25
    for row, picked in zip(ranked, together, strict=True):
        alone = diversify(
            row[row >= 0], item_artist, item_genre, length=30, per_artist=2, per_genre=5
        )
        np.testing.assert_array_equal(picked, alone)
    assert len(together[9]) == 0
