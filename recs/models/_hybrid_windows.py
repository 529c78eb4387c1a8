"""The purchase history the `hybrid` replays to learn: per-order events, history as of an earlier cutoff, and the
seeded sample of customers a training window replays on big shops.

The exact events come with the Interactions (`recs.interactions.from_lines` / `build_interactions` attach them);
data without them (a matrix built by hand) gets events rebuilt from counts and last-purchase ages.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import recs.models._hybrid_features as hf
from recs.interactions import Interactions, from_lines


def events_of(data: Interactions) -> pd.DataFrame:
    """The per-(customer row, product column, order) purchases of `data`: its exact events, else approximated."""
    return data.events if isinstance(data.events, pd.DataFrame) else approximate_events(data)


def approximate_events(data: Interactions) -> pd.DataFrame:
    """Events rebuilt from counts and last-purchase ages when exact ones are missing: n purchases of a product,
    the last at its known time, earlier ones spaced by the product's cycle (30 days when unknown)."""
    counts, last = data.counts.tocoo(), data.last_days.tocsr()
    ages = np.asarray(last[counts.row, counts.col]).ravel()
    cycle = data.products["repurchase_days"].to_numpy(dtype=float, na_value=np.nan)[counts.col]
    step = np.where(np.isfinite(cycle) & (cycle > 0), cycle, 30.0)
    n = counts.data.astype(np.int64)
    rep = np.repeat(np.arange(len(n)), n)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    age = ages[rep] + k * step[rep]
    when = data.cutoff - pd.to_timedelta(age, unit="D")
    day = when.floor("D").to_numpy(dtype="datetime64[D]").astype(np.int64)
    row = counts.row[rep].astype(np.int64)
    return pd.DataFrame({"row": row, "col": counts.col[rep],
                         "order_id": row * 1_000_000 + day,  # one order per customer and day (a number: fast)
                         "ordered_at": when})


def history_before(data: Interactions, events: pd.DataFrame, cutoff: pd.Timestamp) -> Interactions:
    """Interactions of the events before `cutoff` (same products, customers re-numbered among those with
    history then), built by `from_lines` with the weighting of `data`; their own events attached."""
    ev = events[events["ordered_at"] < cutoff]
    lines = pd.DataFrame({"customer_id": data.customer_ids[ev["row"].to_numpy()],
                          "product_id": data.product_ids[ev["col"].to_numpy()],
                          "order_id": ev["order_id"].to_numpy(), "ordered_at": ev["ordered_at"].to_numpy()})
    return from_lines(lines, data.products, cutoff, weighting=data.weighting, half_life_days=data.half_life_days)


def window_sample(events: pd.DataFrame, start: pd.Timestamp, window: int, max_customers: int, seed: int,
                  n_products: int) -> tuple[pd.DataFrame, tuple | None, float]:
    """The events replayed for training window number `window` (starting at `start`): every customer's, or when
    more than `max_customers` customers have history before `start`, those of a seeded random sample of them.
    With a sample, the product statistics (buyers, re-buyers, recent buyers) still come from every customer, so
    features keep their full-data scale. Returns (events, product statistics or None, sampled share)."""
    rows = events["row"].to_numpy()
    before = (events["ordered_at"] < start).to_numpy()
    pool = np.unique(rows[before])
    if len(pool) <= max_customers:
        return events, None, 1.0
    rng = np.random.default_rng([seed, window])
    sample = np.sort(rng.choice(pool, max_customers, replace=False))
    items = hf.item_stats(events.loc[before, ["row", "col", "ordered_at"]], n_products, start)
    return events[np.isin(rows, sample)], items, max_customers / len(pool)
