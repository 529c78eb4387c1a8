"""`nmf`: non-negative matrix factorisation (scikit-learn NMF): X ~ W H with W, H >= 0. Each factor is a
group of products bought together; a customer's scores are W_u H. Deterministic given random_state."""

from __future__ import annotations

import warnings

import numpy as np

from recs.interactions import Interactions
from recs.models._util import row_dot
from recs.models.base import ParamSpec, Recommender


class NMF(Recommender):
    name = "nmf"
    label = "NMF"
    description = ("Non-negative factorisation: splits the catalogue into overlapping groups of products bought "
                   "together and scores each customer by their weight on each group.")
    params = {
        "factors": ParamSpec(32, int, 1, 512, help="number of product groups"),
        "max_iter": ParamSpec(100, int, 10, 2000, help="solver iterations"),
        "alpha": ParamSpec(0.0, float, 0.0, 100.0, help="regularisation on both factor matrices"),
        "random_state": ParamSpec(0, int, 0, 2**31 - 1, help="seed: same seed, same model"),
    }
    param_grid = {"factors": [16, 32, 64]}
    default_weighting = "binary"
    order = 70
    why = "they belong to the same product group"

    def _fit(self, data: Interactions) -> None:
        from sklearn.decomposition import NMF as SkNMF
        from sklearn.exceptions import ConvergenceWarning

        x = data.matrix.astype(np.float32)
        f = max(1, min(self.factors, min(x.shape)))
        self._progress(0.2, f"nmf: {f} factors")
        model = SkNMF(n_components=f, init="nndsvda", max_iter=self.max_iter, random_state=self.random_state,
                      alpha_W=self.alpha, alpha_H="same", l1_ratio=0.0, solver="cd")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            w = model.fit_transform(x)
        self.user_factors_ = w.astype(np.float32)
        self.item_factors_ = np.ascontiguousarray(model.components_.T.astype(np.float32))

    def score(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.user_factors_[rows] @ self.item_factors_.T, dtype=np.float32)

    def similar(self, j: int) -> np.ndarray:
        h = self.item_factors_
        norm = np.linalg.norm(h, axis=1)
        sim = h @ h[j]
        return np.divide(sim, norm * norm[j], out=np.zeros_like(sim, dtype=np.float64), where=norm * norm[j] > 0)

    def pair_weights(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return row_dot(self.item_factors_, i, j)
