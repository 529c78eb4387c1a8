"""Item-item similarity helpers shared by item_knn and content: keep the top neighbours of every product."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

BLOCK = 1024


def top_neighbours(gram: sp.spmatrix, neighbors: int, transform: Callable[[np.ndarray, np.ndarray], np.ndarray],
                   progress: Callable[[float, str], None] | None = None) -> sp.csc_matrix:
    """Sparse (n, n) matrix S whose column j holds the `neighbors` largest positive transformed similarities
    of product j (diagonal excluded). `transform(block, cols)` turns a dense block of the gram matrix
    (all rows, columns `cols`) into similarities."""
    gram = sp.csc_matrix(gram)
    n = gram.shape[0]
    kk = max(1, min(neighbors, n - 1)) if n > 1 else 0
    rows_out, cols_out, vals_out = [], [], []
    for start in range(0, n, BLOCK):
        cols = np.arange(start, min(n, start + BLOCK))
        block = transform(gram[:, cols].toarray().astype(np.float32), cols)
        block[cols, np.arange(len(cols))] = 0.0
        if kk == 0:
            continue
        if kk < n:
            top = np.argpartition(-block, kk - 1, axis=0)[:kk]
        else:
            top = np.tile(np.arange(n)[:, None], (1, len(cols)))
        vals = np.take_along_axis(block, top, axis=0)
        keep = vals > 0
        rows_out.append(top[keep])
        cols_out.append(np.broadcast_to(cols[None, :], top.shape)[keep])
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
