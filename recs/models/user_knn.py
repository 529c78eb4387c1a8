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

    def _score(self, rows: np.ndarray) -> np.ndarray:
        ids, val = self._neighbours(rows)
        n = self.data_.n_customers
        w = sp.csr_matrix((val.ravel(), ids.ravel(), np.arange(0, ids.size + 1, ids.shape[1])),
                          shape=(len(rows), n))
        return (w @ self.data_.matrix).toarray().astype(np.float32)

    def _reasons_batch(self, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray) -> list[str]:
        known = rows >= 0
        nbrs = np.zeros((len(rows), 0), dtype=np.int64)
        sims = np.zeros((len(rows), 0), dtype=np.float32)
        if known.any():
            ids, val = self._neighbours(rows[known])
            nbrs = np.zeros((len(rows), ids.shape[1]), dtype=np.int64)
            sims = np.zeros((len(rows), ids.shape[1]), dtype=np.float32)
            nbrs[known], sims[known] = ids, val
        out: list[str] = []
        for b, row in enumerate(rows):
            items = idx[b, : counts[b]]
            if row < 0:
                out.extend(self._cold_reason(int(j)) for j in items)
            else:
                out.extend(self._row_reasons(int(row), items, nbrs[b][sims[b] > 0]))
        return out

    def _reasons(self, row: int, items: np.ndarray) -> list[str]:
        ids, val = self._neighbours(np.array([row]))
        return self._row_reasons(row, items, ids[0][val[0] > 0])

    def _row_reasons(self, row: int, items: np.ndarray, nbrs: np.ndarray) -> list[str]:
        d = self.data_
        x = d.matrix
        if getattr(self, "_keys", None) is None:
            self._keys = sparse_keys(x)
        mine = x.indices[x.indptr[row]:x.indptr[row + 1]]
        if len(nbrs) == 0 or len(items) == 0:
            return [self._popular_reason(int(j)) for j in items]
        nn = len(nbrs)
        bought = lookup(x, self._keys, np.repeat(nbrs, len(items)), np.tile(items, nn)).reshape(nn, len(items)) > 0
        shared = lookup(x, self._keys, np.repeat(nbrs, len(mine)), np.tile(mine, nn)).reshape(nn, len(mine)) > 0
        together = bought.T.astype(np.float32) @ shared.astype(np.float32)  # (items, mine)
        out = []
        for t, j in enumerate(items):
            c = int(bought[:, t].sum())
            if c == 0:
                out.append(self._popular_reason(int(j)))
                continue
            best = [mine[s] for s in np.lexsort((mine, -together[t]))[:2] if together[t, s] > 0]
            names = join_names(self._info.names[best].tolist()) if best else "similar products"
            out.append(f"Because they bought {names} (similar buyers: {c} of the {nn} closest customers bought it)")
        return out

