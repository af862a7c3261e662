"""Play counts to confidence: a log scale, so that a thousand plays do not drown ten artists."""

import numpy as np
from scipy.sparse import csr_matrix

from encore.errors import InvalidInput


def log_confidence(plays: csr_matrix) -> csr_matrix:
    """`log(1 + plays)` on the stored entries; explicit zeros are dropped."""
    checked = checked_plays(plays)
    scaled = checked.copy()
    scaled.data = np.log1p(scaled.data).astype(np.float32)
    scaled.eliminate_zeros()
    return scaled


def checked_plays(plays: csr_matrix, *, columns: int | None = None) -> csr_matrix:
    """The matrix as float32 CSR, refusing what no play count can be (negative, NaN, inf)."""
    if plays.ndim != 2:
        raise InvalidInput("plays must be a 2-dimensional users x items matrix")
    matrix = csr_matrix(plays, dtype=np.float32)
    if columns is not None and matrix.shape[1] != columns:
        raise InvalidInput(f"a history row must have {columns} columns, not {matrix.shape[1]}")
    if matrix.nnz and (not np.isfinite(matrix.data).all() or (matrix.data < 0).any()):
        raise InvalidInput("play counts must be finite and not negative")
    matrix.sum_duplicates()
    return matrix


def listeners(plays: csr_matrix) -> np.ndarray:
    """How many users played each item (its popularity), as float32."""
    return np.bincount(plays.indices[plays.data > 0], minlength=plays.shape[1]).astype(np.float32)
