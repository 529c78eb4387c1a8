"""`upcf`: UP-CF@r (Faggioli et al., UMAP 2020), recency-aware user-wise popularity with collaborative filtering.

User-wise popularity over the last r baskets: p_u(i) = (baskets among u's last min(r, n_u) containing i) /
min(r, n_u). Customer similarity is the asymmetric cosine of the 0/1 customer x product matrix,
    sim(u, v) = |I_u & I_v| / (|I_u|^alpha |I_v|^(1 - alpha)),
raised to the locality q. Score of customer u: sum over u's `neighbors` most similar customers v (u itself
included, with sim(u, u) = 1) of sim(u, v)^q p_v(i). Neighbours are found at scoring time, a block at a time.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recs.interactions import Interactions
from recs.models._baskets import NEIGHBOUR_BLOCK, baskets_of, binary, neighbour_reasons, rows_matrix, top_per_row
from recs.models.base import ParamSpec, Recommender


class UPCF(Recommender):
    name = "upcf"
    label = "UP-CF@r (next basket)"
    description = ("Next-basket model from the literature: how often each customer bought a product in their last "
                   "r orders, shared with the customers who bought most alike (asymmetric cosine, sharpened).")
    params = {
        "recency": ParamSpec(10, int, 1, 10000, help="the last r orders a customer's own popularity counts (r)"),
        "alpha": ParamSpec(0.75, float, 0.0, 1.0, help="asymmetry of the cosine (0.5 = plain cosine)"),
        "locality": ParamSpec(5.0, float, 0.0, 100.0, help="similarities raised to this power (q)"),
        "neighbors": ParamSpec(300, int, 1, 5000, help="most similar customers summed (the customer included)"),
    }
    param_grid = {"recency": [1, 5, 25], "locality": [1.0, 5.0], "alpha": [0.25, 0.75]}
    default_weighting = "binary"
    order = 46
    why = "bought by customers with purchases like theirs"

    def _fit(self, data: Interactions) -> None:
        b = baskets_of(data)
        self._progress(0.3, "UP-CF@r: popularity over the recent orders")
        window = np.minimum(self.recency, b.total)
        recent = b.position >= b.total - window
        pop = sp.csr_matrix(((1.0 / window[recent]).astype(np.float64), (b.row[recent], b.col[recent])),
                            shape=data.matrix.shape)
        pop.sum_duplicates()
        pop.sort_indices()
        self.user_popularity_ = pop.astype(np.float32)
        self.n_baskets_ = b.n_baskets
        self._progress(0.9, "UP-CF@r: popularity ready")

    def _derive(self) -> None:
        x = binary(self.data_.counts).astype(np.float64)
        self._x = x
        self._xt = x.T.tocsr()
        self._size = np.asarray(x.sum(axis=1)).ravel()
        self._pop = self.user_popularity_.astype(np.float64)

    def neighbours(self, rows: np.ndarray) -> sp.csr_matrix:
        """(len(rows), customers): sim(u, v)^q on each row's most similar customers (itself included)."""
        n = self.data_.n_customers
        k = min(self.neighbors, n)
        size = np.maximum(self._size, 1.0)
        parts = []
        for s in range(0, len(rows), NEIGHBOUR_BLOCK):
            block = rows[s:s + NEIGHBOUR_BLOCK]
            common = (self._x[block] @ self._xt).toarray()
            sim = common / (size[block, None] ** self.alpha * size[None, :] ** (1.0 - self.alpha))
            ids, val = top_per_row(sim, k)
            parts.append(rows_matrix(ids, np.power(val, self.locality) * (val > 0), n))
        return sp.vstack(parts).tocsr()

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.score_with_context(rows)[0]

    def score_with_context(self, rows: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
        w = self.neighbours(rows)
        return (w.astype(np.float64) @ self._pop).toarray().astype(np.float32), w

    def reasons(self, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray,
                context: sp.csr_matrix | None) -> list[str]:
        """Own products: in how many of their orders; others: how many of the most similar customers bought it."""
        w = context if context is not None else self.neighbours(rows)
        return neighbour_reasons(self, rows, idx, counts, w, self.n_baskets_,
                                 "customers whose purchases are most like theirs")
