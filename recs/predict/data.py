"""What the predictors read: per-customer histories as of a cutoff and what happened in a window, from SQL.

A purchase is a day with at least one order (orders counted once per day, as the BG/NBD paper counts them), so
`expected_orders` and the backtest's actual orders are purchase days. `ShopData` keeps each query's result for the
life of one forecast or backtest (a backtest reads the same cutoffs several times).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recs import sql
from recs.errors import InputError

MIN_REPEAT_CUSTOMERS = 100


def _param(stamp: pd.Timestamp):
    return pd.Timestamp(stamp).to_pydatetime()


class ShopData:
    """Read-through cache of the prediction queries on one connection (or cursor)."""

    def __init__(self, con) -> None:
        self.con = con
        self._histories: dict[pd.Timestamp, pd.DataFrame] = {}
        self._actuals: dict[tuple[pd.Timestamp, pd.Timestamp], pd.DataFrame] = {}
        self._range: tuple[pd.Timestamp, pd.Timestamp] | None = None

    def data_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last order time of known customers; InputError when there are none."""
        if self._range is None:
            first, last = sql.run(self.con, "predict/data_range").fetchone()
            if first is None:
                raise InputError("the database has no orders by known customers: import orders first (Data page "
                                 "or `python -m recs import`)")
            self._range = (pd.Timestamp(first), pd.Timestamp(last))
        return self._range

    def history(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        """One row per customer with an order strictly before `cutoff`, sorted by id, with model inputs:
        x (repeat purchase days), t_x and T (weeks since the first purchase to the last one and to the day
        before the cutoff), monetary (mean value of a repeat purchase day), plus the features of `learned`."""
        cutoff = pd.Timestamp(cutoff)
        if cutoff not in self._histories:
            frame = sql.run(self.con, "predict/customer_summary", {"cutoff": _param(cutoff)}).df()
            mix = sql.run(self.con, "predict/customer_categories", {"cutoff": _param(cutoff)}).df()
            frame["customer_id"] = frame["customer_id"].astype(str)
            mix["customer_id"] = mix["customer_id"].astype(str)
            frame = frame.merge(mix, on="customer_id", how="left")
            for column in ("categories", "products", "top_category_share"):
                frame[column] = frame[column].astype(float).fillna(0.0)
            days = frame["purchase_days"].to_numpy(float)
            frame["x"] = days - 1
            age = frame["age_days"].to_numpy(float)
            frame["T"] = (age - 1) / 7.0
            frame["t_x"] = (age - frame["recency_days"].to_numpy(float)) / 7.0
            repeat_revenue = frame["revenue"].to_numpy(float) - frame["first_revenue"].to_numpy(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                frame["monetary"] = np.where(days > 1, repeat_revenue / np.maximum(days - 1, 1), 0.0)
            frame["orders"] = frame["orders"].astype("int64")
            self._histories[cutoff] = frame.reset_index(drop=True)
        return self._histories[cutoff]

    def actuals(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Purchase days and revenue per customer in [start, end), indexed by customer id (absent = none)."""
        key = (pd.Timestamp(start), pd.Timestamp(end))
        if key not in self._actuals:
            frame = sql.run(self.con, "predict/window_actuals",
                            {"start": _param(key[0]), "end": _param(key[1])}).df()
            frame["customer_id"] = frame["customer_id"].astype(str)
            self._actuals[key] = frame.set_index("customer_id")
        return self._actuals[key]

    def outcome(self, customers: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Actual purchase days and revenue in [start, end) for `customers` (zeros for those who did not buy)."""
        found = self.actuals(start, end).reindex(customers.astype(str))
        return pd.DataFrame({"purchase_days": found["purchase_days"].fillna(0).to_numpy(float),
                             "revenue": found["revenue"].fillna(0.0).to_numpy(float)})


def check_horizon(horizon_days) -> int:
    """H must be a whole number of days >= 1."""
    try:
        value = int(horizon_days)
    except (TypeError, ValueError) as exc:
        raise InputError(f"horizon must be a whole number of days, got {horizon_days!r}") from exc
    if value <= 0 or value != float(horizon_days):
        raise InputError(f"horizon must be at least 1 day, got {horizon_days!r}")
    return value


def default_cutoff(shop: ShopData) -> pd.Timestamp:
    """The day after the last order: predict from everything the shop knows."""
    return shop.data_range()[1].normalize() + pd.Timedelta(days=1)


def check_history(shop: ShopData, cutoff: pd.Timestamp, horizon_days: int, judged: bool = False,
                  history_factor: float = 2.0) -> None:
    """InputError saying what is missing when the shop cannot be predicted at `cutoff` for H days: a cutoff
    outside the data, less than 2 x H days of orders before it, fewer than 100 repeat customers; with `judged`
    (a backtest) also fewer than H days of orders after it."""
    first, last = shop.data_range()
    end = last.normalize() + pd.Timedelta(days=1)
    if cutoff <= first or cutoff > end:
        raise InputError(f"the cutoff {cutoff:%Y-%m-%d} is outside the data: orders run from {first:%Y-%m-%d} to "
                         f"{last:%Y-%m-%d}; choose a date after the first order and at most the day after the last")
    days_before = (cutoff - first.normalize()).days
    if days_before < history_factor * horizon_days:
        raise InputError(f"too little history: {days_before} days of orders before {cutoff:%Y-%m-%d}, and a "
                         f"{horizon_days}-day forecast needs at least {int(history_factor * horizon_days)} (2 x the "
                         "horizon); choose a later cutoff or a shorter horizon")
    if judged and cutoff + pd.Timedelta(days=horizon_days) > end:
        raise InputError(f"a backtest from {cutoff:%Y-%m-%d} over {horizon_days} days needs orders until "
                         f"{cutoff + pd.Timedelta(days=horizon_days - 1):%Y-%m-%d}, but the data ends on "
                         f"{last:%Y-%m-%d}; choose an earlier cutoff or a shorter horizon")
    repeaters = int((shop.history(cutoff)["purchase_days"] > 1).sum())
    if repeaters < MIN_REPEAT_CUSTOMERS:
        raise InputError(f"too little history: {repeaters} customers ordered on two days or more before "
                         f"{cutoff:%Y-%m-%d}, and a forecast needs at least {MIN_REPEAT_CUSTOMERS} repeat customers")


def memo(shop: ShopData, key: tuple, build):
    """A fitted model or prediction shared by the models of one forecast or backtest (built once per key)."""
    store = shop.__dict__.setdefault("_memo", {})
    if key not in store:
        store[key] = build()
    return store[key]
