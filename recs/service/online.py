"""Online updates between retrains: a customer's orders posted to the service change their next list at once.

The stored models stay read-only. New purchases live in an `Overlay` (customer -> purchases, behind a lock); a
request for a customer with new purchases gets a *folded view* of the model (recs.models.folding): a shallow copy
scoring that customer from their history with the new purchases added (orders counted again, "days since last
bought" reset, so re-buy cycles restart). The view goes through the same `model.recommend` (recs.models.ranking:
rules, cold start, top-k, reasons) as every other list. How a model folds:

- item-based models (item_knn, ease, svd, content) score the updated row against their item weights;
- factor models (als, bpr) recompute the customer's factors from the updated row (implicit's `recalculate_user`);
- models scoring from the customer's own history (repeat, hybrid) recompute it (`Recommender.with_history`): a
  product bought just now is no longer due, and the new orders count in the frequency and customer features;
- the others (user_knn, popular, nmf, next-basket and neural models) keep their scores until the next retrain; the
  products the customer just bought still drop out under "exclude purchased".
Views and their top-20 lists are cached per (model, customer, purchases seen), bounded. The service folds in its
helper process (`FoldWorker`, recs.service.helper_process): a posted order starts its customer's fold, a request
waits briefly for it when folds are quick.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recs.models.base import Recommender
from recs.models.folding import fold, fold_kind, folded_row
from recs.rules import Rules
from recs.service.lists import LIST_DEPTH
from recs.service.spool import DoneMark

VIEW_CACHE = 2048  # views and lists (a few KB each)
FOLD_QUEUE = 200  # folds waiting for the helper process at most, seconds of work (beyond: served unfolded)
WAIT_BACKLOG = 2  # a request waits for its fold only when at most this many folds are queued
CANNOT = object()  # a fold the model cannot do (or that failed): the unfolded list answers


@dataclass(frozen=True)
class Purchase:
    """One product of an order posted to the service, and where its line sits in the spool."""

    product_id: str
    order_id: str
    file: str
    end: int


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
    """Folded views and their lists, least recently used dropped first (thread-safe)."""

    def __init__(self, size: int = VIEW_CACHE) -> None:
        self._lock = threading.Lock()
        self._views: OrderedDict[tuple, Any] = OrderedDict()
        self.size = size

    def get_or_build(self, key: tuple, build: Any) -> Any:
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


def folded_view(model: Recommender, customer_id: str, purchases: tuple[Purchase, ...]) -> Recommender | None:
    """A read-only view of `model` that knows the new purchases of one customer (None when the model cannot fold:
    its scores come from state fitted for every customer at once)."""
    if fold_kind(model) == "exclude":
        return None
    return fold(model, folded_row(model.data_, customer_id, [(p.product_id, p.order_id) for p in purchases]))


class FoldWorker:
    """Folded customers' top lists computed off the request path, in the service's helper process
    (recs.service.helper_process: a request never waits behind a fold for the interpreter): a posted order submits
    its customer's fold at once, a request waits a moment for it when folds are quick, and when it is not ready
    the customer gets the model's list without the products just bought, as for a model that cannot fold. Results
    are kept per (model, version, customer, purchases seen), bounded. `helper` is the service's HelperProcess."""

    def __init__(self, helper: Any, size: int = VIEW_CACHE, queue_size: int = FOLD_QUEUE) -> None:
        self.helper = helper
        self._lock = threading.Lock()
        self._done: OrderedDict[tuple, Any] = OrderedDict()
        self._pending: dict[tuple, tuple[threading.Event, float]] = {}
        self.size, self.queue_size = size, queue_size
        self.typical_seconds = 0.0  # a recent fold's time, sent to answered (how long waiting for one is worth)

    def _finish(self, key: tuple, kind: str, items: Any) -> None:
        """An answer of the helper process: the items, None (the model cannot fold), or "failed" (not kept: the
        customer's next request asks again)."""
        with self._lock:
            if kind == "fold":
                self._done[key] = CANNOT if items is None else items
                while len(self._done) > self.size:
                    self._done.popitem(last=False)
            event, sent = self._pending.pop(key, (None, 0.0))
            took = time.perf_counter() - sent
            self.typical_seconds = took if self.typical_seconds == 0 else 0.8 * self.typical_seconds + 0.2 * took
        if event is not None:
            event.set()

    def _submit(self, key: tuple, job: dict[str, Any]) -> Any:
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            pending = self._pending.get(key)
            if pending is not None:
                return pending[0]
            if len(self._pending) >= self.queue_size:  # far behind: leave this one to the unfolded list
                return None
            event = threading.Event()
            self._pending[key] = (event, time.perf_counter())
        try:
            self.helper.send("fold", job, lambda kind, items: self._finish(key, kind, items))
        except (OSError, BrokenPipeError):
            self._finish(key, "failed", None)
            return None
        return event

    def folded_items(self, name: str, version: str, customer_id: str, rules: Rules, purchases: tuple[Purchase, ...],
                     wait: float) -> list[dict[str, Any]] | None:
        """The customer's folded top LIST_DEPTH items, waiting at most `wait` seconds for them when folds take
        about that long and few are queued; None when the model cannot fold them or they are not ready."""
        key = (name, version, customer_id, len(purchases))
        job = {"name": name, "version": version, "customer_id": customer_id, "rules": rules,
               "purchases": purchases}
        found = self._submit(key, job)
        if isinstance(found, threading.Event):
            if wait > 0 and self.worth_waiting(wait) and found.wait(wait):
                with self._lock:
                    found = self._done.get(key)
        return found if isinstance(found, list) else None

    def worth_waiting(self, wait: float) -> bool:
        """Whether a request should wait up to `wait` seconds for a fold: folds take about that long or less and
        few are queued (else it would wait in vain and answer unfolded anyway)."""
        return self.typical_seconds <= wait and len(self._pending) <= WAIT_BACKLOG

    @property
    def queued(self) -> int:
        return len(self._pending)


def folded_list(model: Recommender, customer_id: str, rules: Rules,
                purchases: tuple[Purchase, ...]) -> pd.DataFrame | None:
    """The customer's top LIST_DEPTH from the folded view of `model` (None when the model cannot fold)."""
    view = folded_view(model, customer_id, purchases)
    return None if view is None else view.recommend([customer_id], k=LIST_DEPTH, rules=rules)


def without_bought(model: Recommender, customer_id: str, k: int, rules: Rules,
                   purchases: tuple[Purchase, ...]) -> pd.DataFrame:
    """The customer's list from the model as trained, without the products just bought when the rules exclude
    purchased products (what a model that cannot fold serves)."""
    if not rules.exclude_purchased:
        return model.recommend([customer_id], k=k, rules=rules)
    bought = {p.product_id for p in purchases}
    frame = model.recommend([customer_id], k=k + len(bought), rules=rules)
    frame = frame[~frame["product_id"].isin(bought)].head(k).reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    return frame


def recommend_online(model: Recommender, customer_id: str, k: int, rules: Rules, purchases: tuple[Purchase, ...],
                     cache: FoldCache, model_key: Any) -> pd.DataFrame:
    """The customer's list from `model.recommend`, with the purchases posted since training taken into account."""
    if not purchases:
        return model.recommend([customer_id], k=k, rules=rules)
    key = (model_key, customer_id, len(purchases))
    view = cache.get_or_build(key, lambda: folded_view(model, customer_id, purchases) or model)
    if view is not model:  # its top LIST_DEPTH once, then prefixes (the ranking is a fixed total order)
        depth = max(k, LIST_DEPTH)
        frame = cache.get_or_build((*key, "list", depth),
                                   lambda: view.recommend([customer_id], k=depth, rules=rules))
        return frame.head(k).copy()
    return without_bought(model, customer_id, k, rules, purchases)
