"""The one recommender interface (in the spirit of implicit's RecommenderBase and Surprise's AlgoBase).

A model implements `_fit(data)` and `_score(rows)` (dense scores for known customer rows), and may override
`_explain(row, j)` and `_similar(j)`. Everything else happens ONCE here, so every model behaves the same:
- parameters are checked and coerced against `params` (ParamSpec) in __init__ (unknown name -> InputError);
- cold start: an unknown customer, or one with no history, gets recency-weighted popularity with the reason
  "Popular with customers like everyone: ...";
- business rules (recs.rules.apply_rules), including "exclude purchased", are applied to every score matrix;
- scoring is batched (1,000 customers at a time, dense float32) and top-k uses argpartition;
- similar_items falls back to co-purchase cosine from the data for models without item vectors;
- save/load: np.savez + JSON metadata, loaded with allow_pickle=False (no pickle).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recs.errors import InputError, NotFound
from recs.interactions import Interactions
from recs.models import _explain, _io
from recs.models._util import (  # noqa: F401  (re-exported for model files)
    ParamSpec,
    _empty_recs,
    _ProductInfo,
    _top,
    check_k,
    join_names,
    plural,
    recency_popularity,
    recency_popularity_count,
)
from recs.rules import Rules, apply_rules

Progress = Callable[[float, str], None]
BATCH = 1000
COLD_HALF_LIFE_DAYS = 30.0
RECENT_DAYS = 30.0


class Recommender(ABC):
    """Abstract recommender: `fit(Interactions)`, then recommend / similar_items / explain / save."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    params: ClassVar[dict[str, ParamSpec]] = {}
    param_grid: ClassVar[dict[str, list]] = {}
    default_weighting: ClassVar[str] = "binary"
    order: ClassVar[int] = 100  # position in model_names()

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            known = ", ".join(self.params) or "none"
            raise InputError(f"model {self.name}: unknown parameter(s) {', '.join(unknown)}; known: {known}")
        self._params = {k: spec.coerce(k, params.get(k, spec.default)) for k, spec in self.params.items()}
        self._progress_cb: Progress | None = None

    def __getattr__(self, item: str) -> Any:  # parameters read as attributes, scikit-learn style
        params = self.__dict__.get("_params")
        if params is not None and item in params:
            return params[item]
        raise AttributeError(item)

    def get_params(self) -> dict[str, Any]:
        return dict(self._params)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._params.items())})"

    # ---- fitting -----------------------------------------------------------------------------------------
    def fit(self, data: Interactions, progress: Progress | None = None) -> Self:
        """Learn from `data`; `progress(fraction, message)` is called along the way (it may raise to cancel)."""
        if data.n_customers == 0 or data.n_products == 0 or data.matrix.nnz == 0:
            raise InputError(f"model {self.name}: no interactions to learn from (empty customer x product matrix)")
        if not np.all(np.isfinite(data.matrix.data)):
            raise InputError(f"model {self.name}: the interaction weights contain NaN or infinite values")
        self.fitted_ = False
        self._progress_cb = progress
        self._progress(0.0, f"{self.label or self.name}: starting")
        self.data_ = data
        self.popularity_ = recency_popularity(data, COLD_HALF_LIFE_DAYS)
        self.recent_buyers_ = recency_popularity_count(data, RECENT_DAYS)
        self._fit(data)
        self._progress(1.0, f"{self.label or self.name}: done")
        self._progress_cb = None
        self.fitted_ = True
        return self

    def _progress(self, fraction: float, message: str) -> None:
        if self._progress_cb is not None:
            self._progress_cb(float(min(max(fraction, 0.0), 1.0)), message)

    @abstractmethod
    def _fit(self, data: Interactions) -> None:
        """Learn the model's state (attributes ending in `_`)."""

    @abstractmethod
    def _score(self, rows: np.ndarray) -> np.ndarray:
        """Dense float32 scores (len(rows), n_products) for known customer rows with history."""

    def _check_fitted(self) -> None:
        if not getattr(self, "fitted_", False):
            raise InputError(f"model {self.name} is not trained yet: train it first")

    # ---- scoring -----------------------------------------------------------------------------------------
    def _rows(self, customer_ids: Iterable[Any]) -> np.ndarray:
        """Row per id; -1 for unknown customers and for customers without any history (cold start)."""
        d = self.data_
        rows = np.array([-1 if (i := d.customer_index(c)) is None else i for c in customer_ids], dtype=np.int64)
        if rows.size:
            nnz = np.diff(d.matrix.indptr)
            known = rows >= 0
            rows[known] = np.where(nnz[rows[known]] > 0, rows[known], -1)
        return rows

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), self.data_.n_products), dtype=np.float32)
        known = rows >= 0
        if known.any():
            out[known] = self._score(rows[known])
        if (~known).any():
            out[~known] = self._cold_scores()
        return out

    def _tiebreak(self) -> np.ndarray:
        """Recency-weighted popularity: orders products whose scores tie (e.g. the many zeros of kNN models)."""
        return self.popularity_

    def _cold_scores(self) -> np.ndarray:
        """Scores for customers without history: recency-weighted popularity (30-day half-life)."""
        return self.popularity_.astype(np.float32)

    def score(self, customer_ids: Iterable[Any]) -> np.ndarray:
        """Raw dense scores (customers, products) before rules, cold start included (for re-rankers)."""
        self._check_fitted()
        return self._score_rows(self._rows(list(customer_ids)))

    def _purchased(self, rows: np.ndarray) -> sp.csr_matrix:
        m = self.data_.matrix
        out = m[np.maximum(rows, 0)].tocsr()
        if (rows < 0).any():
            keep = sp.diags((rows >= 0).astype(np.float32))
            out = (keep @ out).tocsr()
            out.eliminate_zeros()
        return out

    def recommend(self, customer_ids: Iterable[Any] | None = None, k: int = 10, rules: Rules | None = None,
                  reasons: bool = True, batch_size: int = BATCH) -> pd.DataFrame:
        """Top-k per customer after the rules: customer_id, rank (1..k), product_id, product_name, score, reason.

        `customer_ids=None` means every customer in the training data. Unknown customers get the cold-start list.
        """
        self._check_fitted()
        k = check_k(k)
        rules = rules or Rules()
        rules.check(self.data_)
        d = self.data_
        if isinstance(customer_ids, str | int):
            customer_ids = [customer_ids]
        ids = list(d.customer_ids) if customer_ids is None else list(dict.fromkeys(str(c) for c in customer_ids))
        rows = self._rows(ids)
        names = self._info.names
        pins = {d.product_index(p) for p in rules.pin}
        frames = []
        for start in range(0, len(ids), batch_size):
            r = rows[start:start + batch_size]
            scores = self._score_rows(r)
            idx, sc = apply_rules(scores, self._purchased(r), d, rules, k, tiebreak=self._tiebreak())
            counts = (idx >= 0).sum(axis=1)
            flat = idx[idx >= 0]
            cust = np.repeat(np.array(ids[start:start + batch_size], dtype=object), counts)
            frame = pd.DataFrame({
                "customer_id": cust,
                "rank": np.concatenate([np.arange(1, c + 1) for c in counts]) if len(counts) else [],
                "product_id": d.product_ids[flat],
                "product_name": names[flat],
                "score": sc[idx >= 0].astype(np.float64),
            })
            if reasons:
                texts = self._reasons_batch(r, idx, counts)
                if pins:
                    texts = [("Pinned by a merchandiser rule. " if j in pins else "") + t
                             for j, t in zip(flat, texts, strict=True)]
                frame["reason"] = texts
            else:
                frame["reason"] = ""
            frames.append(frame)
        if not frames:
            return _empty_recs()
        out = pd.concat(frames, ignore_index=True)
        out["rank"] = out["rank"].astype(np.int64)
        for col in ("customer_id", "product_id", "product_name", "reason"):
            out[col] = out[col].astype(str)
        return out

    # ---- explanations ------------------------------------------------------------------------------------
    def explain(self, customer_id: Any, product_id: Any) -> str:
        """Why `product_id` is suggested to `customer_id`, in words a merchandiser reads."""
        self._check_fitted()
        j = self._product(product_id)
        row = self._rows([customer_id])[0]
        return self._cold_reason(j) if row < 0 else self._explain(int(row), j)

    why: ClassVar[str] = "often bought together"  # the words after "Because they bought A and B"

    def _pair_weights(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """w(i, j): how much buying i adds to the score of j. Default: co-purchase cosine (see _co_vector).
        Models whose score is sum_i x_ui * w(i, j) override this with their own weights."""
        out = np.zeros(len(i), dtype=np.float64)
        for jj in np.unique(j):
            sel = j == jj
            out[sel] = self._co_vector(int(jj))[i[sel]]
        return out

    def _reasons_batch(self, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray) -> list[str]:
        """Reasons for a batch of recommendations (row-major); by contributions unless `_reasons` is overridden."""
        if type(self)._reasons is Recommender._reasons:
            return _explain.contrib_reasons(self, rows, idx, counts, self.why)
        out: list[str] = []
        for b, row in enumerate(rows):
            items = idx[b, : counts[b]]
            out.extend(self._reasons(int(row), items) if row >= 0 else [self._cold_reason(int(j)) for j in items])
        return out

    def _reasons(self, row: int, items: np.ndarray) -> list[str]:
        """Per-customer reasons; override for models that are not sums of pair weights (repeat, user_knn)."""
        return _explain.contrib_reasons(self, np.array([row]), np.asarray(items)[None, :], np.array([len(items)]),
                                        self.why)

    def _explain(self, row: int, j: int) -> str:
        return self._reasons(row, np.array([j], dtype=np.int64))[0]

    @property
    def _info(self) -> _ProductInfo:
        """Numpy copies of the product columns explanations read (pandas row access is slow in loops)."""
        info = self.__dict__.get("_info_cache")
        if info is None or info.data is not self.data_:
            info = self.__dict__["_info_cache"] = _ProductInfo(self.data_)
        return info

    def _popular_reason(self, j: int) -> str:
        cache = self._info.popular_reasons
        if j not in cache:
            cache[j] = self._popular_text(j)
        return cache[j]

    def _popular_text(self, j: int) -> str:
        buyers = int(self._info.buyers[j])
        recent = int(self.recent_buyers_[j])
        if buyers == 0:
            return "Not bought by anyone yet: no purchase signal"
        return f"Popular this month: {plural(recent, 'buyer')} ({buyers:,} in all)"

    def _cold_reason(self, j: int) -> str:
        cache = self._info.cold_reasons
        if j not in cache:
            cache[j] = self._cold_text(j)
        return cache[j]

    def _cold_text(self, j: int) -> str:
        buyers = int(self._info.buyers[j])
        recent = int(self.recent_buyers_[j])
        return (f"Popular with customers like everyone: {plural(recent, 'buyer')} this month, {buyers:,} in all "
                "(no purchase history yet)")

    # ---- items -------------------------------------------------------------------------------------------
    def _product(self, product_id: Any) -> int:
        j = self.data_.product_index(product_id)
        if j is None:
            raise NotFound(f"unknown product id {product_id!r} (not a real product in this data)")
        return j

    def _co_vector(self, j: int) -> np.ndarray:
        """Co-purchase cosine between product j and every product (binary matrix), 0 for j itself."""
        if getattr(self, "_binary_csc", None) is None:
            b = self.data_.matrix.copy()
            b.data[:] = 1.0
            self._binary_csc = b.tocsc()
            self._binary_csr = b
            self._buyers = np.asarray(b.sum(axis=0)).ravel()
        col = self._binary_csc[:, j]
        co = np.asarray(self._binary_csr[col.indices].sum(axis=0)).ravel()
        denom = np.sqrt(self._buyers * self._buyers[j])
        out = np.divide(co, denom, out=np.zeros_like(co, dtype=np.float64), where=denom > 0)
        out[j] = 0.0
        return out

    def _similar(self, j: int) -> np.ndarray:
        """Similarity of product j to every product; models with item vectors override this."""
        return self._co_vector(j)

    def similar_items(self, product_id: Any, k: int = 10) -> pd.DataFrame:
        """Products most like `product_id` (rank, product_id, product_name, score); only positive scores."""
        self._check_fitted()
        k = check_k(k)
        j = self._product(product_id)
        sim = np.asarray(self._similar(j), dtype=np.float64).copy()
        sim[j] = -np.inf
        top = _top(sim, k)
        top = top[sim[top] > 0]
        d = self.data_
        return pd.DataFrame({"rank": np.arange(1, len(top) + 1, dtype=np.int64),
                             "product_id": d.product_ids[top].astype(str),
                             "product_name": d.product_names()[top].astype(str),
                             "score": sim[top]})

    def likely_buyers(self, product_id: Any, k: int = 20, exclude_purchased: bool = False) -> pd.DataFrame:
        """Customers this model scores highest for one product (targeting): customer_id, rank, score."""
        self._check_fitted()
        k = check_k(k)
        j = self._product(product_id)
        d = self.data_
        col = np.empty(d.n_customers, dtype=np.float64)
        for start in range(0, d.n_customers, BATCH):
            rows = self._rows(d.customer_ids[start:start + BATCH])
            col[start:start + BATCH] = self._score_rows(rows)[:, j]
        if exclude_purchased:
            col[d.matrix.tocsc()[:, j].indices] = -np.inf
        top = _top(col, k)
        top = top[np.isfinite(col[top])]
        return pd.DataFrame({"customer_id": d.customer_ids[top].astype(str),
                             "rank": np.arange(1, len(top) + 1, dtype=np.int64), "score": col[top]})

    # ---- persistence -------------------------------------------------------------------------------------
    def save(self, path: str | Path, meta: dict[str, Any] | None = None) -> None:
        """Write the fitted model (and optional extra metadata) to one .npz file, without pickle."""
        self._check_fitted()
        _io.write(path, self, meta or {})

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """Read a model written by `save` (np.load with allow_pickle=False)."""
        model, _ = _io.read(path, cls)
        return model
