"""Vectorised explanations: "Because they bought A and B (why)" for thousands of recommendations at once.

A model whose score is a sum over the customer's purchases i of x_ui * w(i, j) (item kNN, EASE, PureSVD,
NMF, content) only supplies `pair_weights(i, j)`; the two purchases with the largest positive contribution
to each recommended product are named. Recommendations with no positive contribution get popularity words.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp


def sparse_keys(m: sp.csr_matrix | sp.csc_matrix) -> np.ndarray:
    """Sorted int64 keys outer * n_inner + inner of a canonical CSR/CSC matrix, for `lookup`."""
    n_inner = m.shape[1] if m.format == "csr" else m.shape[0]
    outer = np.repeat(np.arange(len(m.indptr) - 1, dtype=np.int64), np.diff(m.indptr))
    return outer * n_inner + m.indices.astype(np.int64)


def lookup(m: sp.csr_matrix | sp.csc_matrix, keys: np.ndarray, outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """Values m[outer, inner] (CSR) or m[inner, outer] (CSC) for many pairs; 0 where not stored."""
    n_inner = m.shape[1] if m.format == "csr" else m.shape[0]
    q = outer.astype(np.int64) * n_inner + inner.astype(np.int64)
    if keys.size == 0:
        return np.zeros(len(q), dtype=np.float64)
    pos = np.minimum(np.searchsorted(keys, q), keys.size - 1)
    return np.where(keys[pos] == q, m.data[pos], 0.0).astype(np.float64)


def explain_by_contributions(model: Any, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray) -> list[str]:
    """One reason per recommendation (row-major over `idx[b, :counts[b]]`), naming the purchases with the largest
    contributions `model.pair_weights(i, j) * x_ui`, followed by `model.why`; rows < 0 get the cold-start text."""
    x = model.data_.matrix
    why = model.why
    names = model.info.names
    rec_b = np.repeat(np.arange(len(rows)), counts)
    rec_j = np.concatenate([idx[b, : counts[b]] for b in range(len(rows))]) if len(rows) else np.zeros(0, int)
    total = len(rec_j)
    safe = np.maximum(rows, 0)
    starts = x.indptr[safe]
    lens = np.where(rows >= 0, x.indptr[safe + 1] - starts, 0)
    per_rec = lens[rec_b]
    pair_rec = np.repeat(np.arange(total), per_rec)
    first_of = np.cumsum(per_rec) - per_rec
    pos = np.repeat(starts[rec_b], per_rec) + (np.arange(len(pair_rec)) - np.repeat(first_of, per_rec))
    pi = x.indices[pos].astype(np.int64)
    pj = rec_j[pair_rec].astype(np.int64)
    w = np.asarray(model.pair_weights(pi, pj), dtype=np.float64) * x.data[pos]
    w[(pi == pj) | ~(w > 0)] = -np.inf
    best = _segment_argmax(w, pair_rec, per_rec)
    hit = best >= 0
    w[best[hit]] = -np.inf
    second = _segment_argmax(w, pair_rec, per_rec)
    best = np.where(hit, pi[np.maximum(best, 0)] if len(pi) else -1, -1)
    second = np.where(second >= 0, pi[np.maximum(second, 0)] if len(pi) else -1, -1)
    out = []
    for t in range(total):
        j = int(rec_j[t])
        if rows[rec_b[t]] < 0:
            out.append(model.cold_reason(j))
        elif best[t] < 0:
            out.append(model.popular_reason(j))
        elif second[t] < 0:
            out.append(f"Because they bought {names[best[t]]} ({why})")
        else:
            out.append(f"Because they bought {names[best[t]]} and {names[second[t]]} ({why})")
    return out


def _segment_argmax(w: np.ndarray, seg: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Per segment (contiguous runs of equal `seg`, one per recommendation), the position of the first
    largest finite value of `w`, or -1. Linear time, no sort."""
    out = np.full(len(sizes), -1, dtype=np.int64)
    nonempty = np.flatnonzero(sizes > 0)
    if len(w) == 0 or len(nonempty) == 0:
        return out
    starts = (np.cumsum(sizes) - sizes)[nonempty]
    top = np.maximum.reduceat(w, starts)
    full_top = np.full(len(sizes), -np.inf)
    full_top[nonempty] = top
    is_top = np.isfinite(w) & (w == full_top[seg])
    posn = np.where(is_top, np.arange(len(w)), len(w))
    first = np.minimum.reduceat(posn, starts)
    ok = first < len(w)
    out[nonempty[ok]] = first[ok]
    return out
