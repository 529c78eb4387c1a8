"""`svd`: PureSVD (Cremonesi et al., 2010). A truncated SVD X ~ U S V^T; a customer's scores are x V V^T,
i.e. their purchases projected on the `factors` main buying patterns. Deterministic given random_state."""

from __future__ import annotations

import numpy as np

from recs.interactions import Interactions
from recs.models._util import row_dot
from recs.models.base import ParamSpec, Recommender


class PureSVD(Recommender):
    name = "svd"
    label = "PureSVD"
    description = ("Truncated SVD of the customer x product matrix: recommends what fits the main buying patterns "
                   "the customer's purchases belong to. Few factors = broad tastes; more = finer.")
    params = {
        "factors": ParamSpec(64, int, 1, 1024, help="number of latent factors (buying patterns)"),
        "n_iter": ParamSpec(5, int, 1, 50, help="power iterations of the randomized SVD"),
        "random_state": ParamSpec(0, int, 0, 2**31 - 1, help="seed: same seed, same model"),
    }
    param_grid = {"factors": [16, 64, 128]}
    default_weighting = "binary"
    order = 60
    why = "customers with similar baskets buy this"

    def _fit(self, data: Interactions) -> None:
        from sklearn.utils.extmath import randomized_svd

        x = data.matrix.astype(np.float32)
        f = max(1, min(self.factors, min(x.shape) - 1 if min(x.shape) > 1 else 1))
        self._progress(0.2, f"svd: {f} factors")
        _, s, vt = randomized_svd(x, n_components=f, n_iter=self.n_iter, random_state=self.random_state)
        v = vt.T.astype(np.float32)
        v *= np.sign(v.sum(axis=0, keepdims=True) + 1e-30)  # fix the SVD sign ambiguity (readability only)
        self.item_factors_ = np.ascontiguousarray(v)
        self.singular_values_ = s.astype(np.float32)

    def score(self, rows: np.ndarray) -> np.ndarray:
        v = self.item_factors_
        return np.asarray((self.data_.matrix[rows] @ v) @ v.T, dtype=np.float32)

    def similar(self, j: int) -> np.ndarray:
        e = self.item_factors_ * self.singular_values_
        norm = np.linalg.norm(e, axis=1)
        sim = e @ e[j]
        return np.divide(sim, norm * norm[j], out=np.zeros_like(sim, dtype=np.float64), where=norm * norm[j] > 0)

    def pair_weights(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return row_dot(self.item_factors_, i, j)

