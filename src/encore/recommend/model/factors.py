"""Taste vectors: implicit-feedback ALS, and the least-squares step that places any listener
(trained or new) against fixed track vectors."""

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

USER_BLOCK = 1024


def train_als(
    confidence: csr_matrix,
    *,
    factors: int,
    regularization: float,
    alpha: float,
    iterations: int,
    seed: int,
    threads: int,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """User and item vectors from `implicit`'s ALS (conjugate-gradient solver, CPU)."""
    # Imported here: `implicit` pulls in its native extension, which only training needs.
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    # implicit parallelises over users itself; a threaded BLAS underneath would fight it (and
    # implicit warns about it when the model is built).
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
            calculate_training_loss=False,
            num_threads=threads,
            random_state=seed,
        )
        model.fit(confidence, show_progress=False)
    return (
        np.ascontiguousarray(model.user_factors, dtype=np.float32),
        np.ascontiguousarray(model.item_factors, dtype=np.float32),
    )


def solve_users(
    histories: csr_matrix,
    item_vectors: NDArray[np.float32],
    *,
    regularization: float,
    alpha: float,
) -> NDArray[np.float32]:
    """For each row, the x minimising the ALS loss with items fixed (implicit's formulation:
    confidence c = alpha * value, A = YtY + reg I + sum (c - 1) y yT, b = sum c y)."""
    n_users = histories.shape[0]
    d = item_vectors.shape[1]
    y = item_vectors.astype(np.float64)
    base = y.T @ y + regularization * np.eye(d)
    result = np.zeros((n_users, d), dtype=np.float32)
    for start in range(0, n_users, USER_BLOCK):
        block = histories[start : start + USER_BLOCK]
        counts = np.diff(block.indptr)
        active = np.flatnonzero(counts)
        if active.size == 0:
            continue
        a = np.repeat(base[None, :, :], active.size, axis=0)
        b = np.zeros((active.size, d))
        for slot, row in enumerate(active):
            lo, hi = block.indptr[row], block.indptr[row + 1]
            rows = y[block.indices[lo:hi]]
            c = alpha * block.data[lo:hi].astype(np.float64)
            a[slot] += (rows * (c - 1.0)[:, None]).T @ rows
            b[slot] = c @ rows
        result[start + active] = np.linalg.solve(a, b[:, :, None])[:, :, 0]
    return result
