"""Shared pieces of the `implicit` wrappers (als, bpr): fitting with a pinned BLAS pool, scoring, item cosine.

The item factors explain a recommendation: the purchased products whose factor vectors are most similar
(cosine) to the recommended one are named ("because they bought X and Y").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from recs.errors import ModelCannotFit
from recs.interactions import Interactions
from recs.models.base import Recommender, cannot_fit_message


def fit_implicit(model: Any, matrix: sp.csr_matrix, data: Interactions, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Fit an `implicit` CPU model on `matrix` (customers x products of `data`); (user_factors, item_factors) as float32.

    The BLAS pool is limited to one thread around the whole call, as implicit asks (its own threads do the work).
    Factors that come out NaN or infinite (implicit's ModelFitError, e.g. on a one-product shop or without
    regularization) are a ModelCannotFit naming model `name`, never a traceback.
    """
    from implicit.recommender_base import ModelFitError

    x = sp.csr_matrix(matrix, dtype=np.float32)
    x.sort_indices()
    try:
        with threadpool_limits(1, "blas"):
            model.fit(x, show_progress=False)
    except ModelFitError as exc:
        raise ModelCannotFit(cannot_fit_message(name, data, "its factors came out as NaN (try a larger "
                                                "regularization)")) from exc
    users = np.ascontiguousarray(np.asarray(model.user_factors, dtype=np.float32))
    items = np.ascontiguousarray(np.asarray(model.item_factors, dtype=np.float32))
    if not (np.all(np.isfinite(users)) and np.all(np.isfinite(items))):
        raise ModelCannotFit(cannot_fit_message(name, data, "its factors came out as NaN or infinite (lower the "
                                                "learning rate or raise the regularization)"))
    return users, items


def make_implicit(cls_path: str, **kwargs: Any) -> Any:
    """Construct an implicit CPU model with the BLAS check silenced by a one-thread pool."""
    module, _, name = cls_path.rpartition(".")
    import importlib

    cls = getattr(importlib.import_module(module), name)
    with threadpool_limits(1, "blas"):
        return cls(**kwargs)


def unit_rows(factors: np.ndarray) -> np.ndarray:
    """Row-normalised copy (zero rows stay zero), for cosine between item vectors."""
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    return np.divide(factors, norms, out=np.zeros_like(factors), where=norms > 0)


def pair_cosine(unit: np.ndarray, i: np.ndarray, j: np.ndarray, chunk: int = 1_000_000) -> np.ndarray:
    """Cosine of item vectors for many (i, j) pairs, in chunks to bound memory."""
    out = np.empty(len(i), dtype=np.float64)
    for s in range(0, len(i), chunk):
        a, b = unit[i[s:s + chunk]], unit[j[s:s + chunk]]
        out[s:s + chunk] = np.einsum("ij,ij->i", a, b)
    return out


class FactorRecommender(Recommender):
    """What the factor models (als, bpr) share once fitted: score = user_factors . item_factors, and similar
    products and explanations by the cosine of item vectors. A subclass fits `user_factors_` / `item_factors_`
    and sets `_unit` (row-normalised item vectors for the cosine) in `_derive`."""

    _unit: np.ndarray

    def score(self, rows: np.ndarray) -> np.ndarray:
        return (self.user_factors_[rows] @ self.item_factors_.T).astype(np.float32)

    def similar(self, j: int) -> np.ndarray:
        return (self._unit @ self._unit[j]).astype(np.float64)

    def pair_weights(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return pair_cosine(self._unit, i, j)
