"""`user_knn`: what the customers with the most similar baskets bought.

sim(u, v) = (x_u . x_v) / (|x_u| |x_v| + shrink); each customer keeps their `neighbors` most similar customers;
score(u, j) = sum over those neighbours v of sim(u, v) * x_vj. Neighbours are computed in batches at scoring
time (1,000 customers at a time), so fitting only stores the norms.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recs.interactions import Interactions
from recs.models._explain import lookup, sparse_keys
from recs.models.base import ParamSpec, Recommender, join_names


class UserKNN(Recommender):
    name = "user_knn"
    label = "User kNN"
    description = ("Finds the customers whose baskets look most like this customer's and suggests what they "
                   "bought (cosine similarity with shrinkage).")
    params = {
        "neighbors": ParamSpec(50, int, 1, 5000, help="similar customers used per customer"),
        "shrink": ParamSpec(10.0, float, 0.0, 10000.0, help="damps similarities based on few shared products"),
    }
    param_grid = {"neighbors": [20, 50, 200], "shrink": [0.0, 10.0]}
    default_weighting = "binary"
    order = 40

    def _fit(self, data: Interactions) -> None:
        x = data.matrix.astype(np.float32)
        self.norms_ = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel()).astype(np.float32)

    def _derive(self) -> None:
        x = self.data_.matrix
        self._xt = x.T.tocsr()  # products x customers: similarities of a batch in one sparse product
        self._binary = sp.csr_matrix((np.ones_like(x.data), x.indices, x.indptr), shape=x.shape)  # who bought what

    def _neighbours(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ids, similarities), both (len(rows), k): each row's most similar other customers, best first."""
        x = self.data_.matrix
        sims = (x[rows] @ self._xt).toarray().astype(np.float32)
        sims /= self.norms_[rows][:, None] * self.norms_[None, :] + np.float32(self.shrink + 1e-12)
        sims[np.arange(len(rows)), rows] = 0.0
        k = max(1, min(self.neighbors, x.shape[0] - 1)) if x.shape[0] > 1 else 1
        if k < sims.shape[1]:
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        else:
            top = np.tile(np.arange(sims.shape[1]), (len(rows), 1))
        val = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-val, axis=1, kind="stable")
        return np.take_along_axis(top, order, axis=1), np.take_along_axis(val, order, axis=1)

    def _neighbour_matrix(self, rows: np.ndarray) -> sp.csr_matrix:
        """(len(rows), n_customers) sparse similarities to each row's neighbours."""
        ids, val = self._neighbours(rows)
        return sp.csr_matrix((val.ravel(), ids.ravel(), np.arange(0, ids.size + 1, ids.shape[1])),
                             shape=(len(rows), self.data_.n_customers))

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.score_with_context(rows)[0]

    def score_with_context(self, rows: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
        """Scores, and the neighbour matrix they came from (the reasons count what the neighbours bought)."""
        w = self._neighbour_matrix(rows)
        return (w @ self.data_.matrix).toarray().astype(np.float32), w

    def reasons(self, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray,
                context: sp.csr_matrix | None) -> list[str]:
        """Per customer: their two purchases most common among their neighbours; per product: how many of the
        neighbours bought it. One sparse product for the whole batch."""
        w = (context if context is not None else self._neighbour_matrix(rows)).copy()
        w.data = (w.data > 0).astype(np.float32)
        w.eliminate_zeros()
        n_nbrs = np.diff(w.indptr)
        c = (w @ self._binary).tocsr()
        c.sort_indices()
        keys = sparse_keys(c)
        x = self.data_.matrix
        names = self.info.names
        out: list[str] = []
        for p, row in enumerate(rows):
            items = idx[p, : counts[p]]
            mine = x.indices[x.indptr[row]:x.indptr[row + 1]]
            shared = lookup(c, keys, np.full(len(mine), p), mine)
            best = [int(mine[s]) for s in np.lexsort((mine, -shared))[:2] if shared[s] > 0]
            bought = lookup(c, keys, np.full(len(items), p), items)
            what = join_names(names[best].tolist()) if best else "similar products"
            for j, cnt in zip(items, bought, strict=True):
                if cnt <= 0:
                    out.append(self.popular_reason(int(j)))
                else:
                    out.append(f"Because they bought {what} (similar buyers: {int(cnt)} of the {int(n_nbrs[p])} "
                               "closest customers bought it)")
        return out
