"""`tifu_knn`: TIFU-KNN (Hu et al., SIGIR 2020), next-basket recommendation from decayed purchase frequencies.

A customer's n baskets in time order are split into m' = min(groups, n) consecutive groups of near-equal size
(as numpy's array_split: the n mod m' earliest groups hold one basket more). Inside group g of |g| baskets, the i-th basket
(1-based) weighs r_b^(|g| - i) / |g|; group j of m' (1-based) weighs r_g^(m' - j) / m'. The customer vector
is the sum over baskets of basket weight x group weight x the basket's 0/1 product vector (the decayed mean
of the paper). Score of customer u:
    alpha * u + (1 - alpha) * mean of the vectors of u's k nearest other customers (Euclidean distance)
as in the authors' code. Neighbours are found at scoring time, a block of customers at a time.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recs.interactions import Interactions
from recs.models._baskets import NEIGHBOUR_BLOCK, baskets_of, neighbour_reasons, rows_matrix, top_per_row
from recs.models.base import ParamSpec, Recommender


class TIFUKNN(Recommender):
    name = "tifu_knn"
    label = "TIFU-KNN (next basket)"
    description = ("Next-basket model from the literature: each customer's orders decayed by age in groups, "
                   "mixed with the average of the customers whose decayed baskets are closest.")
    params = {
        "groups": ParamSpec(7, int, 1, 100, help="groups the customer's orders are split into (m)"),
        "basket_decay": ParamSpec(0.9, float, 0.01, 1.0, help="decay of older orders within a group (r_b)"),
        "group_decay": ParamSpec(0.7, float, 0.01, 1.0, help="decay of older groups (r_g)"),
        "alpha": ParamSpec(0.7, float, 0.0, 1.0, help="weight of the customer's own history (1 - alpha: neighbours)"),
        "neighbors": ParamSpec(300, int, 1, 5000, help="nearest customers averaged (k)"),
    }
    param_grid = {"alpha": [0.5, 0.7, 0.9], "neighbors": [100, 300], "group_decay": [0.6, 0.9]}
    default_weighting = "binary"
    order = 45
    why = "bought by customers with baskets like theirs"

    def _fit(self, data: Interactions) -> None:
        b = baskets_of(data)
        self._progress(0.3, "TIFU-KNN: customer vectors from their orders")
        n, p = b.total, b.position
        m = np.minimum(self.groups, n)
        g, start, size = _groups(p, n, m)
        i = p - start + 1  # 1-based place in the group
        weight = (np.power(self.basket_decay, size - i) / size) * (np.power(self.group_decay, m - g - 1) / m)
        v = sp.csr_matrix((weight.astype(np.float64), (b.row, b.col)), shape=data.matrix.shape)
        v.sum_duplicates()
        v.sort_indices()
        self.vectors_ = v.astype(np.float32)
        self.n_baskets_ = b.n_baskets
        self._progress(0.9, "TIFU-KNN: vectors ready")

    def _derive(self) -> None:
        v = self.vectors_.astype(np.float64)
        self._vt = v.T.tocsr()
        self._v64 = v
        self._sq = np.asarray(v.multiply(v).sum(axis=1)).ravel()

    def neighbours(self, rows: np.ndarray) -> sp.csr_matrix:
        """(len(rows), customers): weight 1/k on each row's k nearest other customers."""
        n = self.data_.n_customers
        k = min(self.neighbors, n - 1)
        if k < 1:
            return sp.csr_matrix((len(rows), n), dtype=np.float32)
        parts = []
        for s in range(0, len(rows), NEIGHBOUR_BLOCK):
            block = rows[s:s + NEIGHBOUR_BLOCK]
            dist = self._sq[block, None] + self._sq[None, :] - 2.0 * (self._v64[block] @ self._vt).toarray()
            dist[np.arange(len(block)), block] = np.inf
            ids, _ = top_per_row(-dist, k)
            parts.append(rows_matrix(ids, np.full(ids.shape, 1.0 / k), n))
        return sp.vstack(parts).tocsr()

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.score_with_context(rows)[0]

    def score_with_context(self, rows: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
        w = self.neighbours(rows)
        own = self._v64[rows].toarray()
        mixed = self.alpha * own + (1.0 - self.alpha) * (w.astype(np.float64) @ self._v64).toarray()
        return mixed.astype(np.float32), w

    def reasons(self, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray,
                context: sp.csr_matrix | None) -> list[str]:
        """Own products: in how many of their orders; others: how many of the nearest customers bought it."""
        w = context if context is not None else self.neighbours(rows)
        return neighbour_reasons(self, rows, idx, counts, w, self.n_baskets_,
                                 "customers whose baskets are most like theirs")


def _groups(p: np.ndarray, n: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(group, its first basket, its size) of basket p (0-based) of n split into m groups as np.array_split does:
    the n mod m first groups hold ceil(n / m) baskets, the others floor(n / m)."""
    small, n_big = n // m, n % m
    big = small + 1
    in_big = p < n_big * big
    q = p - n_big * big
    g = np.where(in_big, p // big, n_big + q // np.maximum(small, 1))
    start = np.where(in_big, g * big, n_big * big + (g - n_big) * small)
    return g, start, np.where(in_big, big, small)
