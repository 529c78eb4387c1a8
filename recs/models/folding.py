"""Online folding: a read-only view of a fitted model that knows one customer's purchases made after training.

The live service (recs/service/online.py) keeps the stored models untouched; when a customer posts an order it
asks for a *folded view*: a shallow copy of the model scoring that customer from their updated history (one row of
Interactions on the model's products and cutoff, the new purchases added as bought "just now"). How a model folds:

- item-based models (item_knn, ease, svd, content) score the updated row against their item weights;
- factor models (als, bpr) recompute the customer's factors from the updated row (implicit's `recalculate_user`,
  a least-squares solve against the item factors);
- models that score from the customer's own history (repeat, hybrid) implement `Recommender.with_history`:
  frequency, recency and "days since / cycle" are recomputed, so a re-buy cycle restarts;
- the others (user_knn, popular, nmf, the next-basket and neural models) cannot fold: None (the service then
  only drops the products just bought under "exclude purchased").
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp

import recs.models._hybrid_features as hf
from recs.interactions import MIN_DAYS, Interactions
from recs.models.base import Recommender

ITEM_BASED = frozenset({"item_knn", "ease", "svd", "content"})
FACTOR_BASED = frozenset({"als", "bpr"})


def fold_kind(model: Recommender) -> str:
    """How `model` takes new purchases: 'items', 'factors', 'history' or 'exclude' (bought products drop only)."""
    if model.name in ITEM_BASED:
        return "items"
    if model.name in FACTOR_BASED:
        return "factors"
    if type(model).with_history is not Recommender.with_history:
        return "history"
    return "exclude"


def folded_row(data: Interactions, customer_id: str, purchases: Iterable[tuple[str, str]]) -> Interactions:
    """The customer's history (one row) with the new (product id, order id) purchases added, on the model's
    products and cutoff: orders and weights counted again, "days since last bought" of a product bought now set
    to the minimum (its re-buy cycle restarts); `events` holds the new purchases (row 0, at the cutoff)."""
    n = data.n_products
    cells: dict[int, list[float]] = {}  # column -> [weight, orders, days since last bought]
    r = data.customer_index(customer_id)
    if r is not None:
        for m, slot in ((data.matrix, 0), (data.counts, 1), (data.last_days, 2)):
            row = m[r]
            for j, v in zip(row.indices.tolist(), row.data.tolist(), strict=True):
                cells.setdefault(j, [0.0, 0.0, 0.0])[slot] = v
    new_orders: dict[int, set[str]] = {}
    for product_id, order_id in purchases:
        j = data.product_index(product_id)
        if j is not None:  # non-products (postage, fees) are no columns
            new_orders.setdefault(j, set()).add(str(order_id))
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

    pairs = sorted((j, o) for j, orders in new_orders.items() for o in orders)
    events = purchase_events(pairs, data.cutoff)
    row = Interactions(matrix=one_row(0), counts=one_row(1), last_days=one_row(2),
                       customer_ids=np.array([str(customer_id)], dtype=object), product_ids=data.product_ids,
                       products=data.products, cutoff=data.cutoff, weighting=data.weighting,
                       half_life_days=data.half_life_days, events=events)
    row.customer_index("")  # build the lookups now: the view is shared read-only afterwards
    row.product_index("")
    return row


def purchase_events(pairs: list[tuple[int, str]], cutoff: pd.Timestamp) -> pd.DataFrame:
    """Events (row 0, product column, order id, at the cutoff) of the new (column, order id) purchases."""
    return pd.DataFrame({"row": np.zeros(len(pairs), dtype=np.int64),
                         "col": np.array([j for j, _ in pairs], dtype=np.int64),
                         "order_id": [o for _, o in pairs],
                         "ordered_at": pd.Series([cutoff] * len(pairs), dtype="datetime64[ns]")})


def recalculated_factors(model: Recommender, row: sp.csr_matrix) -> np.ndarray:
    """The customer's factors from an updated row against the model's item factors: the least-squares solve of
    implicit's ALS `recalculate_user` (confidence alpha * x; for BPR the same solve on the bought products,
    confidence 1), in numpy: (YtY + reg I + Yu^T (C - I) Yu) x = Yu^T C."""
    items = np.asarray(model.item_factors_, dtype=np.float64)
    alpha = float(getattr(model, "alpha", 1.0)) if model.name == "als" else 1.0
    cols = row.indices
    confidence = alpha * row.data.astype(np.float64) if model.name == "als" else np.ones(len(cols))
    bought = items[cols]
    a = items.T @ items + float(model.regularization) * np.eye(items.shape[1])
    a += bought.T @ ((confidence - 1.0)[:, None] * bought)
    b = bought.T @ confidence
    return np.linalg.solve(a, b).astype(np.float32).reshape(1, -1)


def fold(model: Recommender, history: Interactions) -> Recommender | None:
    """A read-only view of `model` scoring the customer of `history` (a `folded_row`) from that history; None
    when the model cannot fold (its scores come from state fitted for every customer at once)."""
    kind = fold_kind(model)
    if kind == "history":
        return model.with_history(history)
    if kind == "exclude":
        return None
    view = copy.copy(model)  # shares every fitted array; only the attributes set below differ
    view.data_ = history
    if kind == "factors":
        row = model.data_.customer_index(history.customer_ids[0])
        unchanged = row is not None and not len(history.events)
        view.user_factors_ = (model.user_factors_[[row]] if unchanged  # the trained factors when nothing is new
                              else recalculated_factors(model, history.matrix))
    return view


def customer_state(state: hf.State, row: int | None, history: Interactions,
                   bases: dict[str, Recommender]) -> hf.State | None:
    """The hybrid's feature state for the one customer of `history` (a `folded_row`): their order statistics at
    training (`row` of `state`; None for a new customer) combined with those of the new orders (computed by the
    same functions), the product statistics of every customer unchanged, the folded base models. None when the
    state holds parts this fold does not know (an optional feature switched on: the service then only drops the
    products just bought)."""
    known = {"data", "orders", "first_days", "last_days", "bases", "recent_pairs", "decay_pairs", "recent_orders",
             "items"}
    if any(f.name not in known and getattr(state, f.name) is not f.default for f in dataclasses.fields(state)):
        return None  # e.g. the optional "due to re-buy" features: computed from every past order, not folded here
    events = history.events if isinstance(history.events, pd.DataFrame) else purchase_events([], history.cutoff)
    orders, first, last = hf.customer_stats(history, events)
    if row is not None:
        orders = orders + state.orders[row]
        first = np.fmax(first, state.first_days[row])  # fmax/fmin: NaN (no order) gives way to a number
        last = np.fmin(last, state.last_days[row])
    pairs = decay = recent = None
    if state.recent_pairs is not None:
        pairs, decay, recent = hf.habit_stats(history, events)
        if row is not None:
            pairs = sp.csr_matrix(pairs + state.recent_pairs[row])
            decay = sp.csr_matrix(decay + state.decay_pairs[row])
            recent = recent + state.recent_orders[row]
    return hf.State(data=history, orders=orders, first_days=first, last_days=last, bases=bases, recent_pairs=pairs,
                    decay_pairs=decay, recent_orders=recent, items=(state.buyers, state.rebuy, state.recent))
