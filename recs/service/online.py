"""Online updates between retrains: a customer's orders posted to the service change their next list at once.

The stored models stay read-only. New purchases live in an `Overlay` (customer -> purchases, behind a lock); a
request for a customer with new purchases gets a *folded view* of the model: a shallow copy whose history is that
customer's row alone, with the new purchases added (weights, counts and "days since last bought" updated, so
re-buy cycles restart). The view goes through the same `model.recommend` (recs.models.ranking: rules, cold start,
top-k, reasons) as every other list. How a model folds:

- item-based models (item_knn, ease, svd, content) score the updated row against their item weights;
- factor models (als, bpr) recompute the customer's factors from the updated row (implicit's `recalculate_user`,
  a least-squares solve against the item factors);
- the others (hybrid, repeat, user_knn, popular, nmf) keep their scores until the next retrain; the products the
  customer just bought still drop out under "exclude purchased".
Views are cached per (model, customer, purchases seen), bounded.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recs.interactions import MIN_DAYS, Interactions
from recs.models.base import Recommender
from recs.rules import Rules
from recs.service.spool import DoneMark

ITEM_BASED = frozenset({"item_knn", "ease", "svd", "content"})
FACTOR_BASED = frozenset({"als", "bpr"})
VIEW_CACHE = 512


@dataclass(frozen=True)
class Purchase:
    """One product of an order posted to the service, and where its line sits in the spool."""

    product_id: str
    order_id: str
    file: str
    end: int


def fold_kind(model: Recommender) -> str:
    """How `model` takes new purchases: 'items', 'factors' or 'exclude' (bought products drop out only)."""
    if model.name in ITEM_BASED:
        return "items"
    if model.name in FACTOR_BASED:
        return "factors"
    return "exclude"


class Overlay:
    """New purchases per customer since the warehouse the models were trained on (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._purchases: dict[str, list[Purchase]] = {}
        self._done: dict[str, DoneMark] = {}
        self._orders: dict[str, tuple[str, int]] = {}  # order id -> (spool file, end offset)

    def add(self, customer_id: str, purchases: list[Purchase]) -> None:
        with self._lock:
            self._purchases.setdefault(str(customer_id), []).extend(purchases)
            for p in purchases:
                self._orders[p.order_id] = (p.file, p.end)

    def set_done(self, marks: dict[str, DoneMark]) -> None:
        """What the spool import has moved into the warehouse (read again when a newer model arrives)."""
        with self._lock:
            self._done = dict(marks)

    def _seen(self, file: str, end: int, data_version: int | None) -> bool:
        mark = self._done.get(file)
        return (mark is not None and data_version is not None and mark.import_id <= data_version
                and end <= mark.offset)

    def since(self, customer_id: str, data_version: int | None) -> tuple[Purchase, ...]:
        """The customer's purchases a model trained on warehouse version `data_version` has not seen."""
        with self._lock:
            found = self._purchases.get(str(customer_id), ())
            return tuple(p for p in found if not self._seen(p.file, p.end, data_version))

    def orders_since(self, data_version: int | None) -> int:
        """How many posted orders a model trained on `data_version` has not seen (folded in online)."""
        with self._lock:
            return sum(not self._seen(f, e, data_version) for f, e in self._orders.values())


class FoldCache:
    """Folded views, least recently used dropped first (thread-safe)."""

    def __init__(self, size: int = VIEW_CACHE) -> None:
        self._lock = threading.Lock()
        self._views: OrderedDict[tuple, Recommender] = OrderedDict()
        self.size = size

    def get_or_build(self, key: tuple, build: Any) -> Recommender:
        with self._lock:
            view = self._views.get(key)
            if view is not None:
                self._views.move_to_end(key)
                return view
        view = build()  # outside the lock: two threads may build the same view, both correct
        with self._lock:
            self._views[key] = view
            while len(self._views) > self.size:
                self._views.popitem(last=False)
        return view


def folded_row(data: Interactions, customer_id: str, purchases: tuple[Purchase, ...]) -> Interactions:
    """The customer's history (one row) with the new purchases added, on the model's products and cutoff."""
    n = data.n_products
    cells: dict[int, list[float]] = {}  # column -> [weight, orders, days since last bought]
    r = data.customer_index(customer_id)
    if r is not None:
        for m, slot in ((data.matrix, 0), (data.counts, 1), (data.last_days, 2)):
            row = m[r]
            for j, v in zip(row.indices.tolist(), row.data.tolist(), strict=True):
                cells.setdefault(j, [0.0, 0.0, 0.0])[slot] = v
    new_orders: dict[int, set[str]] = {}
    for p in purchases:
        j = data.product_index(p.product_id)
        if j is not None:  # non-products (postage, fees) are no columns
            new_orders.setdefault(j, set()).add(p.order_id)
    for j, orders in new_orders.items():
        weight, count, _ = cells.get(j, [0.0, 0.0, 0.0])
        count += len(orders)
        weight = {"binary": 1.0, "count": count, "log": float(np.log1p(count))}.get(data.weighting,
                                                                                    weight + len(orders))
        cells[j] = [weight, count, MIN_DAYS]  # bought just now: its re-buy cycle restarts
    cols = np.array(sorted(cells), dtype=np.int64)

    def one_row(slot: int) -> sp.csr_matrix:
        values = np.array([cells[j][slot] for j in cols.tolist()], dtype=np.float32)
        return sp.csr_matrix((values, cols, np.array([0, len(cols)])), shape=(1, n))

    row = Interactions(matrix=one_row(0), counts=one_row(1), last_days=one_row(2),
                       customer_ids=np.array([str(customer_id)], dtype=object), product_ids=data.product_ids,
                       products=data.products, cutoff=data.cutoff, weighting=data.weighting,
                       half_life_days=data.half_life_days)
    row.customer_index("")  # build the lookups now: the view is shared read-only afterwards
    row.product_index("")
    return row


def recalculated_factors(model: Recommender, row: sp.csr_matrix) -> np.ndarray:
    """The customer's factors from an updated row against the model's item factors (implicit's ALS
    `recalculate_user`; for BPR the same least-squares solve, confidence 1)."""
    from recs.models._factors import make_implicit

    items = np.ascontiguousarray(model.item_factors_, dtype=np.float32)
    alpha = float(getattr(model, "alpha", 1.0)) if model.name == "als" else 1.0
    als = make_implicit("implicit.cpu.als.AlternatingLeastSquares", factors=items.shape[1],
                        regularization=float(model.regularization), alpha=alpha, num_threads=1)
    als.item_factors = items
    binary = row if model.name == "als" else sp.csr_matrix((np.ones_like(row.data), row.indices, row.indptr),
                                                           shape=row.shape)
    return np.asarray(als.recalculate_user(0, binary), dtype=np.float32).reshape(1, -1)


def folded_view(model: Recommender, customer_id: str, purchases: tuple[Purchase, ...]) -> Recommender | None:
    """A read-only copy of `model` that knows the new purchases of one customer (None when the model cannot fold:
    its scores come from state fitted for every customer at once)."""
    kind = fold_kind(model)
    if kind == "exclude":
        return None
    view = copy.copy(model)  # shares every fitted array; only the attributes set below differ
    view.data_ = folded_row(model.data_, customer_id, purchases)
    if kind == "factors":
        view.user_factors_ = recalculated_factors(model, view.data_.matrix)
    return view


def recommend_online(model: Recommender, customer_id: str, k: int, rules: Rules, purchases: tuple[Purchase, ...],
                     cache: FoldCache, model_key: Any) -> pd.DataFrame:
    """The customer's list from `model.recommend`, with the purchases posted since training taken into account."""
    if not purchases:
        return model.recommend([customer_id], k=k, rules=rules)
    key = (model_key, customer_id, len(purchases))
    view = cache.get_or_build(key, lambda: folded_view(model, customer_id, purchases) or model)
    if view is not model:
        return view.recommend([customer_id], k=k, rules=rules)
    if not rules.exclude_purchased:
        return model.recommend([customer_id], k=k, rules=rules)
    bought = {p.product_id for p in purchases}
    frame = model.recommend([customer_id], k=k + len(bought), rules=rules)
    frame = frame[~frame["product_id"].isin(bought)].head(k).reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return frame
