"""Due to re-buy: products a customer buys repeatedly whose usual cycle says the next purchase is due soon.

The cycle of a (customer, product) is the customer's own median gap between purchase days of it when they have
two gaps or more, else the product's cycle: the median gap of its dominant hump (gaps binned by half-octaves on a
log scale, the fullest bin and its two neighbours), so a product bought monthly by most and yearly by some (two
humps) gets the monthly cycle, not a median that falls between. A pair is due when its next purchase (the last
one + the cycle) falls in the next `days` days, or is overdue by at most half a cycle; the score rises as the due
date nears the cutoff and with how often it was bought: (1 - |days to due| / max(cycle, days)) x (times - 1) / times.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recs import sql
from recs.interactions import to_timestamp

REBUY_COLUMNS = ["customer_id", "product_id", "times", "last_bought", "cycle_days", "cycle_from", "due_at",
                 "score"]
MIN_PRODUCT_GAPS = 5  # a product cycle needs at least this many gaps (any customer)


def product_cycles(gaps: pd.DataFrame) -> pd.Series:
    """The dominant-hump median gap per product (index product_id), from rows (product_id, gap)."""
    gaps = gaps[gaps["gap"] > 0].copy()
    gaps["bin"] = np.floor(np.log2(gaps["gap"].to_numpy(float)) * 2).astype(int)
    counts = gaps.groupby(["product_id", "bin"]).size().rename("n").reset_index()
    enough = counts.groupby("product_id")["n"].transform("sum") >= MIN_PRODUCT_GAPS
    counts = counts[enough]
    top = counts.sort_values(["product_id", "n", "bin"], ascending=[True, False, True]).drop_duplicates("product_id")
    gaps = gaps.merge(top[["product_id", "bin"]].rename(columns={"bin": "top"}), on="product_id")
    hump = gaps[(gaps["bin"] - gaps["top"]).abs() <= 1]
    return hump.groupby("product_id")["gap"].median()


def due_to_rebuy(con, until=None, days: int = 30) -> pd.DataFrame:
    """REBUY_COLUMNS for every (customer, product) due in the next `days` days after `until` (default: the day
    after the last order), best score first within each customer, customers by their top score."""
    cutoff = to_timestamp(until, "until")
    if cutoff is None:
        last = sql.run(con, "predict/data_range").fetchone()[1]
        if last is None:
            return pd.DataFrame(columns=REBUY_COLUMNS)
        cutoff = pd.Timestamp(last).normalize() + pd.Timedelta(days=1)
    rows = sql.run(con, "predict/product_days", {"cutoff": cutoff.to_pydatetime()}).df()
    if rows.empty:
        return pd.DataFrame(columns=REBUY_COLUMNS)
    rows["customer_id"] = rows["customer_id"].astype(str)
    rows["product_id"] = rows["product_id"].astype(str)
    pairs = rows.groupby(["customer_id", "product_id"]).agg(
        times=("age", "size"), last_age=("age", "min"), own=("gap", "median"), gaps=("gap", "count")).reset_index()
    cycles = product_cycles(rows.dropna(subset=["gap"])[["product_id", "gap"]])
    product = pairs["product_id"].map(cycles)
    use_own = (pairs["gaps"] >= 2) | product.isna()
    pairs["cycle_days"] = np.where(use_own, pairs["own"], product).astype(float)
    pairs["cycle_from"] = np.where(use_own, "customer", "product")
    due_in = pairs["cycle_days"] - pairs["last_age"]
    due = (due_in <= days) & (due_in >= -0.5 * pairs["cycle_days"]) & (pairs["cycle_days"] > 0)
    pairs = pairs[due].copy()
    due_in = due_in[due]
    closeness = 1 - due_in.abs() / np.maximum(pairs["cycle_days"], days)
    pairs["score"] = (closeness.clip(0, 1) * (pairs["times"] - 1) / pairs["times"]).round(6)
    day = cutoff.normalize()
    pairs["last_bought"] = (day - pd.to_timedelta(pairs["last_age"], unit="D")).dt.strftime("%Y-%m-%d")
    pairs["due_at"] = (day + pd.to_timedelta(due_in.round(), unit="D")).dt.strftime("%Y-%m-%d")
    pairs["top"] = pairs.groupby("customer_id")["score"].transform("max")
    pairs = pairs.sort_values(["top", "customer_id", "score", "product_id"], ascending=[False, True, False, True])
    return pairs[REBUY_COLUMNS].reset_index(drop=True)
