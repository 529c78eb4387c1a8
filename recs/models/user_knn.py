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
        self._xt = None

    def _neighbours(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ids, similarities), both (len(rows), k): each row's most similar other customers, best first."""
        x = self.data_.matrix
        if getattr(self, "_xt", None) is None:
            self._xt = x.T.tocsr()
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
        """(len(rows), n_customers) sparse similarities to each row's neighbours; remembered for the reasons."""
        ids, val = self._neighbours(rows)
        w = sp.csr_matrix((val.ravel(), ids.ravel(), np.arange(0, ids.size + 1, ids.shape[1])),
                          shape=(len(rows), self.data_.n_customers))
        self._last = (rows.copy(), w)
        return w

    def _score(self, rows: np.ndarray) -> np.ndarray:
        return (self._neighbour_matrix(rows) @ self.data_.matrix).toarray().astype(np.float32)

    def _reasons_batch(self, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray) -> list[str]:
        """Per customer: their two purchases most common among their neighbours; per product: how many of the
        neighbours bought it. One sparse product for the whole batch."""
        known = rows >= 0
        out_rows = rows[known]
        last = getattr(self, "_last", None)
        w = last[1] if last is not None and np.array_equal(last[0], out_rows) else self._neighbour_matrix(out_rows)
        w = w.copy()
        w.data = (w.data > 0).astype(np.float32)
        w.eliminate_zeros()
        n_nbrs = np.diff(w.indptr)
        binary = self.data_.matrix.copy()
        binary.data[:] = 1.0
        c = (w @ binary).tocsr()
        c.sort_indices()
        keys = sparse_keys(c)
        pos = np.full(len(rows), -1)
        pos[known] = np.arange(known.sum())
        x = self.data_.matrix
        names = self._info.names
        out: list[str] = []
        for b, row in enumerate(rows):
            items = idx[b, : counts[b]]
            if row < 0:
                out.extend(self._cold_reason(int(j)) for j in items)
                continue
            p = int(pos[b])
            mine = x.indices[x.indptr[row]:x.indptr[row + 1]]
            shared = lookup(c, keys, np.full(len(mine), p), mine)
            best = [int(mine[s]) for s in np.lexsort((mine, -shared))[:2] if shared[s] > 0]
            bought = lookup(c, keys, np.full(len(items), p), items)
            what = join_names(names[best].tolist()) if best else "similar products"
            for j, cnt in zip(items, bought, strict=True):
                if cnt <= 0:
                    out.append(self._popular_reason(int(j)))
                else:
                    out.append(f"Because they bought {what} (similar buyers: {int(cnt)} of the {int(n_nbrs[p])} "
                               "closest customers bought it)")
        return out

    def _reasons(self, row: int, items: np.ndarray) -> list[str]:
        return self._reasons_batch(np.array([row]), np.asarray(items)[None, :], np.array([len(items)]))
