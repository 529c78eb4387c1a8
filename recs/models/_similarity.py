"""Item-item similarity helpers shared by item_knn and content: keep the top neighbours of every product."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

BLOCK = 1024
Block = Callable[[np.ndarray], np.ndarray]


def gram_of_rows(a: sp.spmatrix) -> Block:
    """Rows `cols` of the Gram matrix a @ a.T (rows of `a` are products) as a dense float32 (len(cols), n) block,
    without ever building the n x n matrix: with many products sharing a word it is nearly dense (n^2 entries;
    14.6 GB at 30,000 products). Only the features the block's products use take part; every entry sums the
    same products over the shared features in the same order as scipy's a @ a.T, so the numbers are equal (the
    Gram matrix is exactly symmetric, hence rows = columns)."""
    a = sp.csr_matrix(a, dtype=np.float32)
    a.sort_indices()

    def block(cols: np.ndarray) -> np.ndarray:
        sub = a[cols]
        feats = np.unique(sub.indices)
        dense = np.asarray(sub[:, feats].T.toarray(), dtype=np.float32)
        return np.ascontiguousarray((a[:, feats] @ dense).T, dtype=np.float32)

    return block


def gram_of_columns(x: sp.spmatrix) -> Block:
    """Rows `cols` of x.T @ x (columns of `x` are products), block by block, summed over customers in the same
    order as scipy's x.T @ x."""
    x = sp.csr_matrix(x, dtype=np.float32)
    x.sort_indices()
    xt = x.T.tocsr()
    xt.sort_indices()

    def block(cols: np.ndarray) -> np.ndarray:
        return np.asarray((xt[cols] @ x).toarray(), dtype=np.float32)

    return block


def top_neighbours(gram: Block, n: int, neighbors: int, transform: Callable[[np.ndarray, np.ndarray], np.ndarray],
                   progress: Callable[[float, str], None] | None = None) -> sp.csc_matrix:
    """Sparse (n, n) matrix S whose column j holds the `neighbors` largest positive transformed similarities
    of product j (diagonal excluded). `gram(cols)` gives the dense rows `cols` of the (symmetric) Gram matrix,
    shape (len(cols), n), and `transform(block, cols)` turns them into similarities. Only one block of BLOCK
    products is in memory at a time: O(BLOCK x n + n x neighbors) instead of O(n^2)."""
    kk = max(1, min(neighbors, n - 1)) if n > 1 else 0
    rows_out, cols_out, vals_out = [], [], []
    for start in range(0, n, BLOCK):
        cols = np.arange(start, min(n, start + BLOCK))
        block = transform(gram(cols), cols)
        block[np.arange(len(cols)), cols] = 0.0
        if kk == 0:
            continue
        if kk < n:
            np.negative(block, out=block)  # in place: one n x BLOCK array less per block
            top = np.argpartition(block, kk - 1, axis=1)[:, :kk]
            vals = -np.take_along_axis(block, top, axis=1)
        else:
            top = np.tile(np.arange(n)[None, :], (len(cols), 1))
            vals = np.take_along_axis(block, top, axis=1)
        keep = vals > 0
        rows_out.append(top[keep])
        cols_out.append(np.broadcast_to(cols[:, None], top.shape)[keep])
        vals_out.append(vals[keep])
        if progress is not None:
            progress(min(n, start + BLOCK) / n, f"similarities {min(n, start + BLOCK):,}/{n:,}")
    if not rows_out:
        return sp.csc_matrix((n, n), dtype=np.float32)
    s = sp.csc_matrix((np.concatenate(vals_out), (np.concatenate(rows_out), np.concatenate(cols_out))),
                      shape=(n, n), dtype=np.float32)
    s.sort_indices()
    return s


def column(s: sp.csc_matrix, j: int) -> tuple[np.ndarray, np.ndarray]:
    """(row indices, values) of column j of a CSC matrix, without building a new matrix."""
    lo, hi = s.indptr[j], s.indptr[j + 1]
    return s.indices[lo:hi], s.data[lo:hi]


def dense_column(s: sp.csc_matrix, j: int) -> np.ndarray:
    out = np.zeros(s.shape[0], dtype=np.float64)
    idx, val = column(s, j)
    out[idx] = val
    return out
