"""The one recommender interface (in the spirit of implicit's RecommenderBase and Surprise's AlgoBase).

A model is a subclass with class metadata (name, label, description, params, param_grid, default_weighting,
order, why, intent) and these override points, and no others:

required
- `_fit(data)`: learn from an Interactions; fitted state goes in attributes ending in `_` (the base has already set
  `data_`, `popularity_` and `recent_buyers_`). `self._progress(fraction, message)` reports progress.
- `score(rows) -> ndarray`: dense float32 scores (len(rows), n_products) for known customer rows with history.
optional
- `score_with_context(rows) -> (scores, context)`: the same scores plus whatever the model's reasons can reuse
  (default: `(score(rows), None)`); the context is handed to `reasons`, never stored on the model.
- `reasons(rows, idx, counts, context) -> list[str] | None`: one text per recommendation (row-major over
  `idx[b, :counts[b]]`, known rows only); None (the default) explains by contributions of `pair_weights`.
- `pair_weights(i, j)`: w(i, j), how much buying i adds to the score of j (default: co-purchase cosine).
- `similar(j)`: similarity of product j to every product (default: co-purchase cosine).
- `_derive()`: build read-only caches (leading underscore) from the fitted state; called at the end of fit and
  after load, never while scoring (it may replace `_cold_scores`, the cold-start scores).
- `with_history(history) -> Recommender | None`: a read-only copy scoring the one customer of `history` (their
  purchases since training added: `recs.models.folding.folded_row`) from that history, for the live service;
  None (the default) when the model cannot. Item and factor models fold without it (`recs.models.folding`).

Everything else happens ONCE, outside the models (recs/models/ranking.py), so every model behaves the same:
parameters are checked against `params` (ParamSpec) and stored as attributes; cold start (unknown customers and
customers without history get recency-weighted popularity, "Popular with customers like everyone: ..."); the
business rules (recs.rules.apply_rules, "exclude purchased" included); batching and top-k; the output frames.
A fitted model is read-only: scoring, explaining and similar items never assign to it, so one model is safely shared
by every browser session and thread. Save/load: np.savez + JSON header, allow_pickle=False; nested fitted models
(an attribute ending in `_` holding a Recommender or a dict of them) are saved through their own state.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from recs.errors import InputError, ModelCannotFit
from recs.interactions import Interactions
from recs.models import ranking
from recs.models._io import ModelState, read_meta, read_state, write_state
from recs.models._util import (
    ParamSpec,
    ProductInfo,
    check_k,
    co_purchase_cosine,
    join_names,
    plural,
    recency_popularity,
    recency_popularity_count,
)
from recs.rules import Rules

Progress = Callable[[float, str], None]
BATCH = ranking.BATCH
COLD_HALF_LIFE_DAYS = 30.0
RECENT_DAYS = 30.0

__all__ = ["BATCH", "ParamSpec", "Progress", "Recommender", "cannot_fit_message", "check_k", "join_names",
           "model_class", "plural", "recency_popularity", "saved_meta"]


class Recommender(ABC):
    """Abstract recommender: `fit(Interactions)`, then recommend / similar_items / likely_buyers / explain / save."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    params: ClassVar[dict[str, ParamSpec]] = {}
    param_grid: ClassVar[dict[str, list]] = {}
    default_weighting: ClassVar[str] = "binary"
    order: ClassVar[int] = 100  # position in model_names()
    why: ClassVar[str] = "often bought together"  # the words after "Because they bought A and B"
    intent: ClassVar[str] = "discovery"  # the campaign it fits: "rebuy" when built on the customer's own re-purchases

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            known = ", ".join(self.params) or "none"
            raise InputError(f"model {self.name}: unknown parameter(s) {', '.join(unknown)}; known: {known}")
        for key, spec in self.params.items():  # scikit-learn style: parameters are plain attributes
            setattr(self, key, spec.coerce(key, params.get(key, spec.default)))

    def get_params(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.params}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"

    # ---- override points ---------------------------------------------------------------------------------
    @abstractmethod
    def _fit(self, data: Interactions) -> None:
        """Learn the model's state (attributes ending in `_`)."""

    @abstractmethod
    def score(self, rows: np.ndarray) -> np.ndarray:
        """Dense float32 scores (len(rows), n_products) for known customer rows with history."""

    def score_with_context(self, rows: np.ndarray) -> tuple[np.ndarray, Any]:
        """Scores plus what `reasons` may reuse for the same rows (nothing by default)."""
        return self.score(rows), None

    def reasons(self, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray, context: Any) -> list[str] | None:
        """Texts for the recommendations `idx[b, :counts[b]]` of known `rows`, row-major; `context` is what
        `score_with_context(rows)` returned, or None (then recompute). None: explain by contributions."""
        return None

    def pair_weights(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """w(i, j): how much buying i adds to the score of j; models whose score is sum_i x_ui * w(i, j) give
        their own weights. Default: co-purchase cosine."""
        out = np.zeros(len(i), dtype=np.float64)
        for jj in np.unique(j):
            sel = j == jj
            out[sel] = co_purchase_cosine(self.data_.matrix, int(jj))[i[sel]]
        return out

    def similar(self, j: int) -> np.ndarray:
        """Similarity of product j to every product; models with item vectors or similarities give their own."""
        return co_purchase_cosine(self.data_.matrix, j)

    def with_history(self, history: Interactions) -> Recommender | None:
        """A read-only copy of the model that scores the one customer of `history` from that updated history
        (the live service's online update); None: this model cannot (the default)."""
        return None

    def _derive(self) -> None:  # noqa: B027  (an optional hook: most models need no caches)
        """Build read-only caches from the fitted state (after fit and after load). It may also replace
        `self._cold_scores`, the scores of customers without history (default: recency popularity), as `popular`
        does with its own list."""

    # ---- fitting -----------------------------------------------------------------------------------------
    def fit(self, data: Interactions, progress: Progress | None = None) -> Self:
        """Learn from `data`; `progress(fraction, message)` is called along the way (it may raise to cancel)."""
        if data.n_customers == 0 or data.n_products == 0 or data.matrix.nnz == 0:
            raise InputError(f"model {self.name}: no interactions to learn from (empty customer x product matrix)")
        if not np.all(np.isfinite(data.matrix.data)):
            raise InputError(f"model {self.name}: the interaction weights contain NaN or infinite values")
        self.fitted_ = False
        self._progress_cb = progress
        try:
            self._progress(0.0, f"{self.label or self.name}: starting")
            self.data_ = data
            self.popularity_ = recency_popularity(data, COLD_HALF_LIFE_DAYS)
            self.recent_buyers_ = recency_popularity_count(data, RECENT_DAYS)
            try:
                self._fit(data)
            except ModelCannotFit as exc:  # a nested model (the hybrid's als) could not: say whose part it is
                if str(exc).startswith(f"model {self.name} "):
                    raise
                raise ModelCannotFit(f"model {self.name} cannot be trained because its part {exc}") from exc
            self._prepare()
            self._check_scores()
            self._progress(1.0, f"{self.label or self.name}: done")
        finally:
            self._progress_cb = None
        self.fitted_ = True
        return self

    def _check_scores(self, sample: int = 64) -> None:
        """ModelCannotFit when the fitted model scores NaN or +inf (e.g. factors that did not converge on a
        one-product shop): checked once on a few customers, so no page or file ever receives such scores."""
        rows = np.flatnonzero(np.diff(self.data_.matrix.indptr) > 0)[:sample]
        scores = np.asarray(self.score(rows), dtype=np.float64) if len(rows) else np.zeros(0)
        if np.isnan(scores).any() or np.isposinf(scores).any() or not np.all(np.isfinite(self._cold_scores)):
            raise ModelCannotFit(cannot_fit_message(self.name, self.data_, "its scores came out as NaN"))

    def _progress(self, fraction: float, message: str) -> None:
        """Report fitting progress to the callback given to fit (nothing outside fit)."""
        callback = getattr(self, "_progress_cb", None)
        if callback is not None:
            callback(float(min(max(fraction, 0.0), 1.0)), message)

    def _prepare(self) -> None:
        """Everything derived from the fitted state, built once so serving never writes to the model."""
        self.data_.customer_index("")  # the data's id lookups are built lazily: build them now
        self.data_.product_index("")
        self._info = ProductInfo(self.data_, self.recent_buyers_)
        self._cold_scores = self.popularity_.astype(np.float32)
        self._derive()

    @classmethod
    def from_fitted(cls, data: Interactions, attributes: dict[str, Any], **params: Any) -> Self:
        """A ready model from its fitted attributes on `data` (how a model file is read back): the attributes are
        set, the derived caches built, and the model is marked fitted."""
        model = cls(**params)
        model.data_ = data
        for key, value in attributes.items():
            setattr(model, key, value)
        model._prepare()
        model.fitted_ = True
        return model

    def _check_fitted(self) -> None:
        if not getattr(self, "fitted_", False):
            raise InputError(f"model {self.name} is not trained yet: train it first")

    # ---- read-only views for ranking and reasons ------------------------------------------------------------
    @property
    def info(self) -> ProductInfo:
        """Product names, buyers, cycles and popularity texts (numpy/list copies: fast in loops)."""
        return self._info

    @property
    def cold_scores(self) -> np.ndarray:
        """Scores for customers without history: recency-weighted popularity (30-day half-life)."""
        return self._cold_scores

    def popular_reason(self, j: int) -> str:
        return self._info.popular_reasons[j]

    def cold_reason(self, j: int) -> str:
        return self._info.cold_reasons[j]

    # ---- public API: thin delegations to recs/models/ranking.py ---------------------------------------------
    def score_customers(self, customer_ids: Iterable[Any]) -> np.ndarray:
        """Raw dense scores (customers, products) before rules, cold start included (for re-rankers)."""
        self._check_fitted()
        return ranking.score_customers(self, customer_ids)

    def recommend(self, customer_ids: Iterable[Any] | None = None, k: int = 10, rules: Rules | None = None,
                  reasons: bool = True, batch_size: int = BATCH) -> pd.DataFrame:
        """Top-k per customer after the rules: customer_id, rank (1..k), product_id, product_name, score, reason.

        `customer_ids=None` means every customer in the training data. Unknown customers get the cold-start list.
        """
        self._check_fitted()
        return ranking.recommend(self, customer_ids, k, rules, reasons, batch_size)

    def explain(self, customer_id: Any, product_id: Any) -> str:
        """Why `product_id` is suggested to `customer_id`, in words a merchandiser reads."""
        self._check_fitted()
        return ranking.explain(self, customer_id, product_id)

    def similar_items(self, product_id: Any, k: int = 10) -> pd.DataFrame:
        """Products most like `product_id` (rank, product_id, product_name, score); only positive scores."""
        self._check_fitted()
        return ranking.similar_items(self, product_id, k)

    def likely_buyers(self, product_id: Any, k: int = 20, exclude_purchased: bool = False) -> pd.DataFrame:
        """Customers this model scores highest for one product (targeting): customer_id, rank, score."""
        self._check_fitted()
        return ranking.likely_buyers(self, product_id, k, exclude_purchased)

    # ---- persistence -------------------------------------------------------------------------------------
    def save(self, path: str | Path, meta: dict[str, Any] | None = None) -> None:
        """Write the fitted model (and optional extra metadata) to one .npz file, without pickle."""
        self._check_fitted()
        write_state(path, self._state(None), meta or {})

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """Read a model written by `save` (np.load with allow_pickle=False)."""
        return cls.load_with_meta(path)[0]

    @classmethod
    def load_with_meta(cls, path: str | Path) -> tuple[Recommender, dict[str, Any]]:
        """(model, the metadata saved with it); the file says which model it holds (it must be `cls` or a
        subclass when called on a concrete model class)."""
        state, meta = read_state(path)
        if cls.name and state.model != cls.name:
            raise InputError(f"model file {path} holds model {state.model!r}, not {cls.name!r}")
        return _from_state(state, None), meta

    def _state(self, parent: Recommender | None) -> ModelState:
        """The fitted attributes (public, ending in `_`) as a ModelState; nested models through their own state,
        sharing the parent's data when it is the same object."""
        values: dict[str, Any] = {}
        nested: dict[str, Any] = {}
        for key, value in vars(self).items():
            if key.startswith("_") or not key.endswith("_") or key == "data_":
                continue
            if isinstance(value, Recommender):
                nested[key] = value._state(self)
            elif isinstance(value, dict) and value and all(isinstance(v, Recommender) for v in value.values()):
                nested[key] = {str(k): v._state(self) for k, v in value.items()}
            else:
                values[key] = value
        shared = parent is not None and self.data_ is parent.data_
        return ModelState(model=self.name, params=self.get_params(), data=None if shared else self.data_,
                              values=values, nested=nested)


def cannot_fit_message(name: str, data: Interactions, what: str) -> str:
    """The one line a ModelCannotFit says: which model, why, the shop's size and what to do instead."""
    size = f"{plural(data.n_customers, 'customer')} and {plural(data.n_products, 'product')}"
    hint = ", and one product leaves nothing to compare" if data.n_products < 2 else ""
    return (f"model {name} cannot learn from this shop's data ({size}{hint}): {what}; choose a simpler model "
            "such as popular or repeat, or import more data")


def _from_state(state: ModelState, parent_data: Interactions | None) -> Recommender:
    """A ready model from its saved state: class by name, parameters, fitted attributes, nested models (ready
    before their parent), then the derived caches."""
    data = state.data if state.data is not None else parent_data
    attributes = dict(state.values)
    for key, sub in state.nested.items():
        attributes[key] = (_from_state(sub, data) if isinstance(sub, ModelState)
                           else {k: _from_state(s, data) for k, s in sub.items()})
    return model_class(state.model).from_fitted(data, attributes, **state.params)


def saved_meta(path: str | Path) -> dict[str, Any]:
    """The metadata saved with a model file (`save(path, meta)`), without loading its arrays."""
    return read_meta(path).get("extra", {})


def model_class(name: str) -> type[Recommender]:
    """The concrete Recommender subclass that defines `name` (the registry's models are imported with the package,
    so this needs no import of the registry)."""
    todo, found = list(Recommender.__subclasses__()), []
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__dict__.get("name") == name and not getattr(cls, "__abstractmethods__", None):
            found.append(cls)
    if not found:
        raise InputError(f"unknown model {name!r} in a model file")
    found.sort(key=lambda c: not c.__module__.startswith("recs.models."))  # the registry's own class first
    return found[0]
