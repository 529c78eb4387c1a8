"""Candidates, features and a pickle-free tree ensemble for the `hybrid` re-ranker.

A candidate is a (customer, product) pair proposed by one of: the customer's own history (top by order count and
recency), each collaborative base model (top unbought and top overall), and products popular this month.
Features, grouped by the signal they carry (the explanation names the group that moved the score most):
- own:    orders with the product, days since last bought, product cycle, days since / cycle, share of the
          customer's orders with the product, days since / the customer's usual gap between orders;
- collab: score and rank of each base model (ease, item_knn, als);
- item:   buyers, share of buyers who re-bought, buyers in the last 30 days and their share, product cycle;
- customer: orders, distinct products, days since first and last order, usual gap between orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recs.interactions import MIN_DAYS, Interactions

BASES = ("ease", "item_knn", "als")
GROUPS = {"own": [0, 1, 2, 3, 4, 5, 21, 22], "collab": list(range(6, 12)), "item": [12, 13, 14, 15],
          "customer": [16, 17, 18, 19, 20, 23]}
N_FEATURES = 24
HABIT_DAYS = 90.0
OWN_COUNT, OWN_DAYS, CYCLE = 0, 1, 2
RECENT_DAYS = 30.0


@dataclass
class State:
    """Everything features need at one cutoff: the interactions, customer order stats, fitted base models."""

    data: Interactions
    orders: np.ndarray       # distinct orders per customer row
    first_days: np.ndarray   # days from the first order to the cutoff
    last_days: np.ndarray    # days from the last order to the cutoff
    bases: dict[str, Any] = field(default_factory=dict)
    recent_pairs: Any = None  # csr: orders of (customer, product) in the last HABIT_DAYS (None: unknown)
    decay_pairs: Any = None   # csr: sum of 0.5 ** (age / 60 days) over those orders
    recent_orders: np.ndarray | None = None  # orders per customer in the last HABIT_DAYS
    items: tuple | None = None  # (buyers, rebuy, recent) from a larger population than `data` (see item_stats)

    def __post_init__(self) -> None:
        c = self.data.counts
        if self.items is not None:
            self.buyers, self.rebuy, self.recent = self.items
        else:
            self.buyers = np.bincount(c.indices, minlength=self.data.n_products).astype(np.float64)
            self.rebuy = np.bincount(c.indices[c.data >= 2], minlength=self.data.n_products) / np.maximum(self.buyers, 1)
            ld = self.data.last_days
            self.recent = np.bincount(ld.indices[ld.data <= RECENT_DAYS], minlength=self.data.n_products).astype(float)
        self.cycle = self.data.products["repurchase_days"].to_numpy(dtype=float, na_value=np.nan)
        self.distinct = np.diff(c.indptr).astype(np.float64)
        self.gap = np.where(self.orders >= 2, (self.first_days - self.last_days) / np.maximum(self.orders - 1, 1),
                            np.nan)


def item_stats(events: pd.DataFrame, n_products: int, cutoff: pd.Timestamp) -> tuple[np.ndarray, ...]:
    """(buyers, share of buyers who re-bought, buyers whose last purchase is at most RECENT_DAYS old) per product,
    from per-order events before `cutoff` -- what State computes from its own matrix, for every customer when
    the matrix holds only a sample of them."""
    r = events["row"].to_numpy(dtype=np.int64)
    c = events["col"].to_numpy(dtype=np.int64)
    ticks = events["ordered_at"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    key = r * n_products + c
    order = np.lexsort((ticks, key))
    key, ticks = key[order], ticks[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
    n = np.diff(np.r_[starts, len(key)])
    col = key[starts] % n_products
    last = ticks[np.r_[starts[1:], len(key)] - 1] if len(key) else ticks
    age = (cutoff.value - last) / 86_400e9
    buyers = np.bincount(col, minlength=n_products).astype(np.float64)
    rebuy = np.bincount(col[n >= 2], minlength=n_products) / np.maximum(buyers, 1)
    recent = np.bincount(col[np.maximum(age, MIN_DAYS) <= RECENT_DAYS], minlength=n_products).astype(float)
    return buyers, rebuy, recent


def habit_stats(data: Interactions, events: pd.DataFrame) -> tuple[Any, Any, np.ndarray]:
    """Recent habits from per-order events: (orders per pair in the last 90 days, 60-day-decayed orders per pair,
    orders per customer in the last 90 days)."""
    import scipy.sparse as sp

    shape = (data.n_customers, data.n_products)
    age = ((data.cutoff - pd.to_datetime(events["ordered_at"])) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    r, c = events["row"].to_numpy(dtype=np.int64), events["col"].to_numpy(dtype=np.int64)
    recent = age <= HABIT_DAYS
    pairs = sp.csr_matrix((np.ones(int(recent.sum())), (r[recent], c[recent])), shape=shape)
    decay = sp.csr_matrix((np.power(0.5, age / 60.0), (r, c)), shape=shape)
    per = events[recent].drop_duplicates(["row", "order_id"])
    orders = np.bincount(per["row"].to_numpy(dtype=np.int64), minlength=data.n_customers).astype(float)
    return pairs, decay, orders


def customer_stats(data: Interactions, events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(orders, days since first order, days since last order) per customer row, from per-order events."""
    n = data.n_customers
    orders = np.zeros(n)
    first = np.full(n, np.nan)
    last = np.full(n, np.nan)
    if len(events):
        per = events.groupby(["row", "order_id"], sort=False)["ordered_at"].min().reset_index()
        g = per.groupby("row")["ordered_at"].agg(["count", "min", "max"])
        idx = g.index.to_numpy(dtype=np.int64)
        orders[idx] = g["count"].to_numpy(dtype=float)
        first[idx] = ((data.cutoff - g["min"]) / pd.Timedelta(days=1)).to_numpy(dtype=float)
        last[idx] = ((data.cutoff - g["max"]) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    return orders, first, last


def _ranks(scores: np.ndarray) -> np.ndarray:
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(scores.shape[1]), scores.shape), axis=1)
    return ranks


def _candidate_ranks(scores: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """_ranks(scores)[r, c] (stable descending order: higher scores first, ties by column) for the candidates only,
    from one plain sort per row instead of a full stable argsort; `r` must be sorted (np.nonzero order)."""
    n, p = scores.shape
    srt = np.sort(scores, axis=1)
    v = scores[r, c]
    out = np.empty(len(r), dtype=np.int64)
    bounds = np.searchsorted(r, np.arange(n + 1))
    cols = np.arange(p)
    for i in range(n):
        a, b = bounds[i], bounds[i + 1]
        if a == b:
            continue
        hi = np.searchsorted(srt[i], v[a:b], side="right")
        lo = np.searchsorted(srt[i], v[a:b], side="left")
        res = p - hi
        tied = np.flatnonzero(hi - lo > 1)
        if len(tied):
            eq = (scores[i][None, :] == v[a:b][tied, None]) & (cols[None, :] < c[a:b][tied, None])
            res[tied] += eq.sum(axis=1)
        out[a:b] = res
    return out


def candidates_and_features(state: State, rows: np.ndarray, n_own: int, n_collab: int,
                            n_popular: int = 20) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(local row, product column, feature matrix) for the candidates of customer `rows` (all known)."""
    d = state.data
    n, p = len(rows), d.n_products
    cnt = d.counts[rows].toarray().astype(np.float64)
    bought = cnt > 0
    since = np.where(bought, d.last_days[rows].toarray(), np.nan)
    cand = np.zeros((n, p), dtype=bool)

    def take(key: np.ndarray, m: int) -> None:
        m = min(m, p)
        if m <= 0:
            return
        idx = np.argpartition(-key, m - 1, axis=1)[:, :m] if m < p else np.tile(np.arange(p), (n, 1))
        ok = np.isfinite(np.take_along_axis(key, idx, axis=1))
        cand[np.repeat(np.arange(n), m)[ok.ravel()], idx.ravel()[ok.ravel()]] = True

    take(np.where(bought, cnt + 1.0 / (1.0 + np.nan_to_num(since, nan=1e9)), -np.inf), n_own)
    scores, ranks = {}, {}
    for name in BASES:
        model = state.bases.get(name)
        if model is None:
            continue
        s = np.asarray(model._score(rows))  # float32: selection and ranks on half the bytes, same order
        scores[name], ranks[name] = s, None
        take(np.where(bought, -np.inf, s), n_collab)
        take(s, n_collab // 2)
    m = min(n_popular, p)
    if m > 0:  # the same key for every customer: select once (argpartition treats each row alike)
        pop = (state.recent + 1e-6 * state.buyers)[None, :]
        idx = np.argpartition(-pop, m - 1, axis=1)[0, :m] if m < p else np.arange(p)
        cand[:, idx[np.isfinite(pop[0, idx])]] = True
    r, c = np.nonzero(cand)
    orders = state.orders[rows][r]
    gap = state.gap[rows][r]
    cyc = state.cycle[c]
    own_days = since[r, c]
    f = np.full((len(r), N_FEATURES), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):  # x / 0 -> inf, 0 / 0 -> NaN: both are fine for trees
        _fill(f, state, rows, r, c, cnt, own_days, cyc, orders, gap, scores, ranks)
    return r, c, f


def _fill(f: np.ndarray, state: State, rows: np.ndarray, r: np.ndarray, c: np.ndarray, cnt: np.ndarray,
          own_days: np.ndarray, cyc: np.ndarray, orders: np.ndarray, gap: np.ndarray, scores: dict,
          ranks: dict) -> None:
    f[:, 0] = cnt[r, c]
    f[:, 1] = own_days
    f[:, 2] = cyc
    f[:, 3] = own_days / cyc
    f[:, 4] = cnt[r, c] / np.maximum(orders, 1)
    f[:, 5] = own_days / gap
    for b, name in enumerate(BASES):
        if name in scores:
            f[:, 6 + 2 * b] = scores[name][r, c]
            f[:, 7 + 2 * b] = _candidate_ranks(scores[name], r, c)
    f[:, 12] = state.buyers[c]
    f[:, 13] = state.rebuy[c]
    f[:, 14] = state.recent[c]
    f[:, 15] = state.recent[c] / np.maximum(state.buyers[c], 1)
    f[:, 16] = orders
    f[:, 17] = state.distinct[rows][r]
    f[:, 18] = state.first_days[rows][r]
    f[:, 19] = state.last_days[rows][r]
    f[:, 20] = gap
    if state.recent_pairs is not None:
        f[:, 21] = state.recent_pairs[rows].toarray()[r, c]
        f[:, 22] = state.decay_pairs[rows].toarray()[r, c]
        f[:, 23] = state.recent_orders[rows][r]


def tree_arrays(clf: Any) -> dict[str, np.ndarray]:
    """The fitted HistGradientBoostingClassifier's trees as flat numpy arrays (saved without pickle)."""
    nodes = [pred.nodes for stage in clf._predictors for pred in stage]
    offsets = np.cumsum([0] + [len(x) for x in nodes]).astype(np.int64)
    flat = np.concatenate(nodes)
    return {"feature": flat["feature_idx"].astype(np.int64), "threshold": flat["num_threshold"].astype(np.float64),
            "missing_left": flat["missing_go_to_left"].astype(bool), "left": flat["left"].astype(np.int64),
            "right": flat["right"].astype(np.int64), "leaf": flat["is_leaf"].astype(bool),
            "value": flat["value"].astype(np.float64), "offsets": offsets,
            "baseline": np.asarray(clf._baseline_prediction, dtype=np.float64).ravel()[:1]}


def tree_predict(t: dict[str, np.ndarray], x: np.ndarray, fast: bool = True,
                 compiled: list | None = None) -> np.ndarray:
    """Raw score (log-odds) of the ensemble for rows of `x`: the same traversal as scikit-learn's predictor
    (x <= threshold goes left; NaN goes where training sent missing values). `fast` runs scikit-learn's compiled
    traversal on trees rebuilt from the arrays (`compiled`: from `compile_trees`, to build them once per model);
    the numpy traversal is the fallback (and the test's second oracle)."""
    offsets = t["offsets"]
    n_trees = len(offsets) - 1
    out = np.full(len(x), float(t["baseline"][0]) if len(t["baseline"]) else 0.0)
    if n_trees <= 0 or len(x) == 0:
        return out
    if fast:
        try:
            return out + _sklearn_predict(compiled or compile_trees(t), np.ascontiguousarray(x, dtype=np.float64))
        except (ImportError, AttributeError, TypeError, ValueError):
            pass
    node = np.repeat(offsets[:-1][:, None], len(x), axis=1)  # (trees, rows) global node index
    cols = np.broadcast_to(np.arange(len(x)), node.shape)
    while True:
        active = ~t["leaf"][node]
        if not active.any():
            break
        nd = node[active]
        val = x[cols[active], t["feature"][nd]]
        base = np.repeat(offsets[:-1][:, None], len(x), axis=1)[active]
        go_left = np.where(np.isnan(val), t["missing_left"][nd], val <= t["threshold"][nd])
        node[active] = base + np.where(go_left, t["left"][nd], t["right"][nd])
    return out + t["value"][node].sum(axis=0)


def compile_trees(t: dict[str, np.ndarray]) -> list:
    """scikit-learn TreePredictor objects rebuilt from the saved arrays (one per tree)."""
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    no_cats = np.zeros((0, 8), dtype=np.uint32)
    columns = {"value": "value", "feature_idx": "feature", "num_threshold": "threshold",
              "missing_go_to_left": "missing_left", "left": "left", "right": "right", "is_leaf": "leaf"}
    out = []
    offsets = t["offsets"]
    for a, b in zip(offsets[:-1], offsets[1:], strict=True):
        nodes = np.zeros(b - a, dtype=PREDICTOR_RECORD_DTYPE)
        for column, key in columns.items():
            nodes[column] = t[key][a:b]
        out.append(TreePredictor(nodes, no_cats, no_cats))
    return out


TREE_BLOCK = 4096  # rows per block: 4,096 x 24 float64 features stay in cache while every tree walks them


def _sklearn_predict(predictors: list, x: np.ndarray) -> np.ndarray:
    """Sum of the trees' outputs, block by block: each block of rows goes through all trees while it is in
    cache (tree by tree over the whole matrix re-reads it from memory once per tree), and the blocks are shared
    by two worker threads (the compiled traversal releases the GIL)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    no_cats = np.zeros((0, 8), dtype=np.uint32)
    f_idx = np.zeros(x.shape[1], dtype=np.uint32)
    total = np.zeros(len(x))

    def run(start: int) -> None:
        block = x[start:start + TREE_BLOCK]
        acc = np.zeros(len(block))
        for pred in predictors:
            acc += pred.predict(block, no_cats, f_idx, 1)
        total[start:start + TREE_BLOCK] = acc

    starts = range(0, len(x), TREE_BLOCK)
    workers = max(1, min(2, os.cpu_count() or 1, len(starts)))
    if workers == 1:
        for s in starts:
            run(s)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, starts))
    return total
