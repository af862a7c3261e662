"""A sparse item-item graph (RP3beta): who listens to this also listens to that, minus the hits.

Each item keeps only its `neighbours` strongest links and the graph is built a block of items
at a time, so memory grows with the catalog times `neighbours`, never with the catalog squared.
"""

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix, diags, vstack

BLOCK_ITEMS = 2048


def walk_graph(
    confidence: csr_matrix,
    *,
    neighbours: int,
    walk_exponent: float,
    popularity_exponent: float,
) -> csr_matrix:
    """Items x items: the chance that a walk item -> listener -> item arrives at each item,
    divided by that item's listener count ** `popularity_exponent`; top `neighbours` per row,
    rows scaled to sum to 1, no self-links."""
    n_items = confidence.shape[1]
    user_to_item = _row_stochastic(confidence, walk_exponent)
    item_to_user = _row_stochastic(csr_matrix(confidence.T), walk_exponent)
    listeners = np.diff(csr_matrix(confidence.T).indptr).astype(np.float32)
    penalty = diags(np.power(np.maximum(listeners, 1.0), -popularity_exponent))
    blocks = []
    for start in range(0, n_items, BLOCK_ITEMS):
        stop = min(start + BLOCK_ITEMS, n_items)
        block = csr_matrix(item_to_user[start:stop] @ user_to_item @ penalty)
        block = _without_self_links(block, start)
        blocks.append(_row_stochastic(_top_per_row(block, neighbours), 1.0))
    if not blocks:
        return csr_matrix((0, 0), dtype=np.float32)
    return csr_matrix(vstack(blocks, format="csr"), dtype=np.float32)


def _row_stochastic(matrix: csr_matrix, exponent: float) -> csr_matrix:
    result = csr_matrix(matrix, dtype=np.float32, copy=True)
    sums = np.asarray(result.sum(axis=1), dtype=np.float32).ravel()
    sums[sums == 0] = 1.0
    result = csr_matrix(diags(1.0 / sums) @ result, dtype=np.float32)
    if exponent != 1.0:
        result.data = np.power(result.data, exponent, dtype=np.float32)
    return result


def _without_self_links(block: csr_matrix, first_item: int) -> csr_matrix:
    rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
    block.data[block.indices == rows + first_item] = 0.0
    block.eliminate_zeros()
    return block


def _top_per_row(matrix: csr_matrix, k: int) -> csr_matrix:
    """Keep the k largest entries of each row (ties broken by column, so runs repeat)."""
    matrix.sort_indices()
    counts = np.diff(matrix.indptr)
    if counts.size == 0 or counts.max(initial=0) <= k:
        return matrix
    rows = np.repeat(np.arange(matrix.shape[0]), counts)
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    rank = np.arange(order.size) - np.repeat(matrix.indptr[:-1], counts)
    keep: NDArray[np.intp] = order[rank < k]
    kept = csr_matrix(
        (matrix.data[keep], (rows[keep], matrix.indices[keep])),
        shape=matrix.shape,
        dtype=np.float32,
    )
    kept.sort_indices()
    return kept
