"""Candidates and their named features for the `hybrid` re-ranker.

A candidate is a (customer, product) pair proposed by one of: the customer's own history (top by order count and
recency), each collaborative base model (top unbought and top overall), and products popular this month.
Each candidate gets the features named in FEATURES (columns are looked up by name through COLUMN), grouped by
the signal they carry (GROUPS; the explanation names the group whose removal lowers the score most):
- own:      orders with the product, days since last bought, the product's cycle, days since / cycle, share of
            the customer's orders with the product, days since / the customer's usual gap between orders,
            orders with it in the last 90 days and their 60-day-decayed count;
- collab:   score and rank of each base model (ease, item_knn, als);
- item:     buyers, share of buyers who re-bought, buyers in the last 30 days and their share;
- customer: orders, distinct products, days since first and last order, usual gap between orders, orders in
            the last 90 days.
Optional (the hybrid's switches; NaN when off, and the trees then never read them): the "due to re-buy" score,
the pair's cycle and days since / that cycle (own group, _hybrid_rebuy.py); upcf's score and rank (collab group).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recs.interactions import MIN_DAYS, Interactions

BASES = ("ease", "item_knn", "als")
# The feature columns, in order; code reads and writes them by name (COLUMN), never by position.
FEATURES = (
    "own_orders", "own_days_since", "cycle_days", "own_days_over_cycle", "own_order_share", "own_days_over_gap",
    *(f"{base}_{kind}" for base in BASES for kind in ("score", "rank")),
    "item_buyers", "item_rebuy_share", "item_recent_buyers", "item_recent_share",
    "customer_orders", "customer_products", "customer_days_since_first", "customer_days_since_last",
    "customer_gap_days",
    "own_recent_orders", "own_decayed_orders", "customer_recent_orders",
    "rebuy_score", "rebuy_cycle_days", "rebuy_days_over_cycle", "upcf_score", "upcf_rank",
)
BASE_FEATURES = FEATURES[:FEATURES.index("rebuy_score")]  # always on; the rest belong to a switch (OPTIONAL)
OPTIONAL = {"rebuy": ("rebuy_score", "rebuy_cycle_days", "rebuy_days_over_cycle"),
            "upcf": ("upcf_score", "upcf_rank")}
COLUMN = {name: i for i, name in enumerate(FEATURES)}
N_FEATURES = len(FEATURES)
# The signal groups the explanation names, in the order ties are broken.
GROUPS = {
    "own": ("own_orders", "own_days_since", "cycle_days", "own_days_over_cycle", "own_order_share",
            "own_days_over_gap", "own_recent_orders", "own_decayed_orders", *OPTIONAL["rebuy"]),
    "collab": (*(f"{base}_{kind}" for base in BASES for kind in ("score", "rank")), *OPTIONAL["upcf"]),
    "item": ("item_buyers", "item_rebuy_share", "item_recent_buyers", "item_recent_share"),
    "customer": ("customer_orders", "customer_products", "customer_days_since_first", "customer_days_since_last",
                 "customer_gap_days", "customer_recent_orders"),
}
HABIT_DAYS = 90.0
RECENT_DAYS = 30.0


def columns(names: tuple[str, ...] | list[str]) -> list[int]:
    """Column positions of the named features."""
    return [COLUMN[name] for name in names]


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
    due: tuple | None = None  # csr (due-to-re-buy score, pair cycle) of _hybrid_rebuy, or None (switched off)

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


def _candidate_ranks(scores: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Rank (0 = best) of scores[r, c] within its row, in stable descending order (higher scores first, ties by
    column), for the candidates only: one plain sort per row instead of a full stable argsort; `r` must be sorted
    (np.nonzero order)."""
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
    scores = {}
    for name in BASES:
        model = state.bases.get(name)
        if model is None:
            continue
        s = np.asarray(model.score(rows))  # float32: selection and ranks on half the bytes, same order
        scores[name] = s
        take(np.where(bought, -np.inf, s), n_collab)
        take(s, n_collab // 2)
    if "upcf" in state.bases:  # a feature only, never a candidate source
        scores["upcf"] = np.asarray(state.bases["upcf"].score(rows))
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
        _fill(f, state, rows, r, c, cnt, own_days, cyc, orders, gap, scores)
    return r, c, f


def _fill(f: np.ndarray, state: State, rows: np.ndarray, r: np.ndarray, c: np.ndarray, cnt: np.ndarray,
          own_days: np.ndarray, cyc: np.ndarray, orders: np.ndarray, gap: np.ndarray, scores: dict) -> None:
    """Write every feature of the candidates (r, c) into `f`, column by name."""
    def put(name: str, values: np.ndarray) -> None:
        f[:, COLUMN[name]] = values

    put("own_orders", cnt[r, c])
    put("own_days_since", own_days)
    put("cycle_days", cyc)
    put("own_days_over_cycle", own_days / cyc)
    put("own_order_share", cnt[r, c] / np.maximum(orders, 1))
    put("own_days_over_gap", own_days / gap)
    for name in (*BASES, "upcf"):
        if name in scores:
            put(f"{name}_score", scores[name][r, c])
            put(f"{name}_rank", _candidate_ranks(scores[name], r, c))
    put("item_buyers", state.buyers[c])
    put("item_rebuy_share", state.rebuy[c])
    put("item_recent_buyers", state.recent[c])
    put("item_recent_share", state.recent[c] / np.maximum(state.buyers[c], 1))
    put("customer_orders", orders)
    put("customer_products", state.distinct[rows][r])
    put("customer_days_since_first", state.first_days[rows][r])
    put("customer_days_since_last", state.last_days[rows][r])
    put("customer_gap_days", gap)
    if state.recent_pairs is not None:
        put("own_recent_orders", state.recent_pairs[rows].toarray()[r, c])
        put("own_decayed_orders", state.decay_pairs[rows].toarray()[r, c])
        put("customer_recent_orders", state.recent_orders[rows][r])
    if state.due is not None:
        put("rebuy_score", state.due[0][rows].toarray()[r, c])
        cycle = state.due[1][rows].toarray()[r, c]
        cycle[cycle <= 0] = np.nan
        put("rebuy_cycle_days", cycle)
        put("rebuy_days_over_cycle", own_days / cycle)


def candidate_batches(state: State, rows: np.ndarray, n_own: int, n_collab: int, size: int = 500,
                      threads: int = 1) -> Iterator[tuple]:
    """(start, rows, local row, product, features) per batch of `size` customers, in order; `threads` > 1
    builds batches concurrently (numpy's sorts and products release the GIL; the state is only read)."""
    def build(s: int) -> tuple:
        batch = rows[s:s + size]
        return (s, batch, *candidates_and_features(state, batch, n_own, n_collab))

    starts = range(0, len(rows), size)
    if threads <= 1 or len(starts) <= 1:
        yield from map(build, starts)
        return
    with ThreadPoolExecutor(min(threads, len(starts))) as pool:
        yield from pool.map(build, starts)
