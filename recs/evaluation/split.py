"""Temporal train/test split: train on valid lines before a cutoff, test on the next N days.

A line exactly at the cutoff is test, not train; the horizon end is exclusive. Only product lines
(products.is_product) of known customers count. Test customers are those seen before the cutoff who
bought in the window. Two relevance modes:
- "all": every product bought in the window is relevant (re-buys count);
- "new": only products the customer had not bought before the cutoff count (recommendations then exclude
  purchased products).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from recs import sql
from recs.errors import InputError

MODES = ("new", "all")

def to_timestamp(value: object, what: str = "cutoff") -> pd.Timestamp:
    """Parse a date/time given by a person; a clear InputError when it is not one."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{what} is not a date: {value!r} (use YYYY-MM-DD)") from exc
    if pd.isna(stamp):
        raise InputError(f"{what} is not a date: {value!r} (use YYYY-MM-DD)")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    return stamp


@dataclass
class Split:
    """The test side of a temporal split (the train side is `build_interactions(con, until=cutoff)`)."""

    cutoff: pd.Timestamp
    end: pd.Timestamp
    history: dict[str, set[str]]            # customer -> products bought before the cutoff (test customers only)
    bought: dict[str, set[str]]             # customer -> products bought in [cutoff, end)
    train_customers: int = 0
    _cache: dict = field(default_factory=dict, repr=False)

    def relevant(self, mode: str) -> dict[str, set[str]]:
        """Customer -> relevant products in `mode` ("new" or "all"); customers with none are dropped."""
        if mode not in MODES:
            raise InputError(f"unknown evaluation mode {mode!r}; known: {', '.join(MODES)}")
        if mode not in self._cache:
            if mode == "all":
                rel = {c: set(items) for c, items in self.bought.items() if items}
            else:
                rel = {c: items - self.history.get(c, set()) for c, items in self.bought.items()}
                rel = {c: items for c, items in rel.items() if items}
            self._cache[mode] = dict(sorted(rel.items()))  # a fixed order: means summed the same way every run
        return self._cache[mode]

    @property
    def customers(self) -> list[str]:
        """Test customers (seen before the cutoff, bought in the window), sorted."""
        return sorted(self.bought)


def _group(frame: pd.DataFrame) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for customer, product in zip(frame["customer_id"].astype(str), frame["product_id"].astype(str), strict=True):
        out.setdefault(customer, set()).add(product)
    return out


def _sets(rows: list[tuple]) -> dict[str, set[str]]:
    """customer -> set of products from (customer_id, [product_id, ...]) rows (both VARCHAR columns)."""
    return {customer: set(products) for customer, products in rows}


def split_frames(train: pd.DataFrame, test: pd.DataFrame, cutoff: pd.Timestamp, end: pd.Timestamp) -> Split:
    """A Split from (customer_id, product_id) rows before the cutoff and rows in [cutoff, end).

    Test rows of customers unknown before the cutoff are dropped. Used by `temporal_split` and by the tuning
    (whose validation window lies wholly before the evaluation cutoff).
    """
    known = set(train["customer_id"].astype(str))
    test = test[test["customer_id"].astype(str).isin(known)]
    bought = _group(test)
    history = _group(train[train["customer_id"].astype(str).isin(bought)])
    return Split(cutoff=cutoff, end=end, history=history, bought=bought, train_customers=len(known))


def temporal_split(con, cutoff: object, horizon_days: int = 30) -> Split:
    """Split at `cutoff`: history strictly before it, test lines in [cutoff, cutoff + horizon_days).

    Raises InputError when there is no data before the cutoff or no test purchases by known customers after it.
    """
    cutoff = to_timestamp(cutoff)
    if horizon_days is None or int(horizon_days) <= 0:
        raise InputError(f"horizon must be a positive number of days, got {horizon_days!r}")
    end = cutoff + pd.Timedelta(days=int(horizon_days))
    params = {"cutoff": cutoff.to_pydatetime(), "end": end.to_pydatetime()}
    known = int(sql.run(con, "evaluation/train_customers", {"cutoff": params["cutoff"]}).fetchone()[0])
    if known == 0:
        raise InputError(f"no purchases before the cutoff {cutoff.date()}: choose a later cutoff")
    # the same Split as split_frames(all pairs before, all pairs in the window), filtered in DuckDB
    bought = _sets(sql.run(con, "evaluation/test_pairs", params).fetchall())
    history = _sets(sql.run(con, "evaluation/history_pairs", params).fetchall()) if bought else {}
    split = Split(cutoff=cutoff, end=end, history=history, bought=bought, train_customers=known)
    if not split.bought:
        raise InputError(
            f"no purchases by known customers in the test window {cutoff.date()} to {end.date()} "
            "(exclusive): choose an earlier cutoff or a longer horizon"
        )
    return split
