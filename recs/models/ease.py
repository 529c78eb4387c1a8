"""`ease`: Embarrassingly Shallow Autoencoder (Steck, WWW 2019), a closed-form item-item model.

B = argmin ||X - X B||^2 + lambda ||B||^2 subject to diag(B) = 0, solved exactly:
P = (X^T X + lambda I)^-1,  B_ij = -P_ij / P_jj,  B_jj = 0;  scores = X B.
The cost is cubic in the number of products and the memory quadratic, so catalogues above `max_items`
are refused with a clear message instead of hanging or exhausting memory.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

from recs.errors import InputError
from recs.interactions import Interactions
from recs.models.base import ParamSpec, Recommender


class EASE(Recommender):
    name = "ease"
    label = "EASE"
    description = ("A closed-form linear item-item model (Steck 2019): learns how much buying each product predicts "
                   "every other one. Strong on small and mid-size catalogues; lambda regularises.")
    params = {
        "l2": ParamSpec(250.0, float, 0.0, 1e6, help="lambda: L2 regularisation (larger = smoother, more popular)"),
        "max_items": ParamSpec(8000, int, 1, 100000, help="refuse catalogues with more products (cubic cost)"),
    }
    param_grid = {"l2": [50.0, 250.0, 1000.0, 3000.0]}
    default_weighting = "binary"
    order = 50
    why = "customers who buy those also buy this"

    def _fit(self, data: Interactions) -> None:
        n = data.n_products
        if n > self.max_items:
            raise InputError(f"ease: the catalogue has {n:,} products, above max_items={self.max_items:,}; EASE "
                             "needs n^2 memory and n^3 time. Raise max_items if the machine can take it, or use "
                             "item_knn / svd.")
        x = data.matrix.astype(np.float32)
        self._progress(0.1, "ease: co-purchase matrix")
        g = (x.T @ x).toarray().astype(np.float32)
        g[np.diag_indices(n)] += np.float32(max(self.l2, 1e-3))
        self._progress(0.3, f"ease: inverting {n:,} x {n:,}")
        p = _spd_inverse(g)
        b = p / (-np.diag(p))[None, :]
        b[np.diag_indices(n)] = 0.0
        if not np.all(np.isfinite(b)):
            raise InputError("ease: the solution has NaN or infinite values; increase l2")
        self.weights_ = b.astype(np.float32, copy=False)

    def score(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.data_.matrix[rows] @ self.weights_, dtype=np.float32)

    def similar(self, j: int) -> np.ndarray:
        return self.weights_[:, j].astype(np.float64)

    def pair_weights(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return self.weights_[i, j]


def _spd_inverse(g: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite float32 matrix via Cholesky (LAPACK potrf + potri): about half
    the work of a general inverse. InputError when the matrix is not positive definite."""
    c, info = lapack.spotrf(g, lower=False, overwrite_a=True, clean=False)
    if info == 0:
        c, info = lapack.spotri(c, lower=False, overwrite_c=True)
    if info != 0:
        raise InputError("ease: the co-purchase matrix could not be inverted (not positive definite); increase l2")
    upper = np.triu(c)
    return upper + np.triu(upper, 1).T
