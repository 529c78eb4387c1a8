"""The metric functions: bind the filters, run the metric's SQL, return a DataFrame.

Pages, the CLI and the tests call these, so a number on screen is the number in the CSV.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from recs.errors import InputError
from recs.metrics.filters import Filters, check_grain, days_label, parse_days
from recs.metrics.loader import run
from recs.metrics.meta import definition

# Output columns in CSV order, from each metric's metadata file (recs/metrics/sql/<name>.toml)
SUMMARY_COLUMNS = definition("summary").column_names()
RETENTION_COLUMNS = definition("retention").column_names()
REPURCHASE_COLUMNS = definition("repurchase").column_names()
TIME_TO_SECOND_COLUMNS = definition("time_to_second").column_names()
RFM_COLUMNS = definition("rfm").column_names()
SEGMENTS = ["Champions", "Loyal", "Potential loyalists", "New", "At risk", "Can't lose them", "Hibernating", "Lost"]


def _params(filters: Filters | None, **extra: Any) -> dict[str, Any]:
    return {**(filters or Filters()).params(), **extra}


def summary(con: Any, filters: Filters | None = None) -> pd.DataFrame:
    """One row: orders, customers, repeat_customers, repurchase_rate, revenue, net_revenue, aov,
    revenue_per_customer, first_order_at, last_order_at (see docs/metrics.md)."""
    return run(con, "summary", _params(filters))[SUMMARY_COLUMNS]


def summary_previous(con: Any, filters: Filters | None) -> pd.DataFrame | None:
    """The summary of the window of equal length just before `filters`' window (None without start and end)."""
    previous = filters.previous() if filters is not None else None
    return summary(con, previous) if previous is not None else None


def retention(con: Any, grain: str = "month", filters: Filters | None = None) -> pd.DataFrame:
    """Cohort x offset grid: RETENTION_COLUMNS, the last being `complete` (the period cohort+k ended before the data
    end, so its figures can no longer grow)."""
    return run(con, "retention", _params(filters, grain=check_grain(grain)))[RETENTION_COLUMNS]


def repurchase(con: Any, grain: str = "month", filters: Filters | None = None) -> pd.DataFrame:
    """Per period with customer orders: customers, new_customers, returning_customers, returning_rate."""
    return run(con, "repurchase", _params(filters, grain=check_grain(grain)))[REPURCHASE_COLUMNS]


def repeat_within_long(con: Any, days: Any = None, filters: Filters | None = None,
                       grain: str = "month") -> pd.DataFrame:
    """One row per cohort and horizon N: cohort, days, customers, within (share), complete."""
    horizons = parse_days(days)
    return run(con, "repeat_within", _params(filters, grain=check_grain(grain), days=horizons))


def repeat_within(con: Any, days: Any = None, filters: Filters | None = None, grain: str = "month") -> pd.DataFrame:
    """Per cohort: customers, within_N for each N (share), then complete_N for each N."""
    horizons = parse_days(days)
    long = repeat_within_long(con, horizons, filters, grain)
    labels = [days_label(d) for d in horizons]
    columns = ["cohort", "customers", *[f"within_{x}" for x in labels], *[f"complete_{x}" for x in labels]]
    if long.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    frame = long.groupby("cohort", sort=True).agg(customers=("customers", "first")).reset_index()
    for d, label in zip(horizons, labels, strict=True):
        part = long[long["days"] == d].set_index("cohort")
        frame[f"within_{label}"] = frame["cohort"].map(part["within"]).astype(float)
    for d, label in zip(horizons, labels, strict=True):
        part = long[long["days"] == d].set_index("cohort")
        frame[f"complete_{label}"] = frame["cohort"].map(part["complete"]).astype(bool)
    return frame[columns]


def time_to_second(con: Any, filters: Filters | None = None, grain: str = "month") -> pd.DataFrame:
    """Per customer whose first order is in the window: first/second order and days_to_second (NaN: none yet)."""
    return run(con, "time_to_second", _params(filters, grain=check_grain(grain)))[TIME_TO_SECOND_COLUMNS]


def time_to_second_days(con: Any, filters: Filters | None = None) -> pd.DataFrame:
    """The histogram of `time_to_second`: days (whole, floor) and customers, for those with a second order."""
    return run(con, "time_to_second_days", _params(filters))


def time_to_second_median(con: Any, filters: Filters | None = None, grain: str = "month") -> pd.DataFrame:
    """Per cohort and overall (cohort NaT): customers, with_second, median_days."""
    return run(con, "time_to_second_median", _params(filters, grain=check_grain(grain)))


def rfm(con: Any, filters: Filters | None = None, as_of: dt.date | None = None) -> pd.DataFrame:
    """Per customer: recency_days, frequency, monetary, r/f/m scores 1-5 and segment (RFM_COLUMNS)."""
    if as_of is not None:
        if not isinstance(as_of, dt.date):
            raise InputError(f"--as-of: expected a date, got {as_of!r}")
        last = summary(con, filters)["last_order_at"].iloc[0]
        if pd.notna(last) and pd.Timestamp(as_of) < pd.Timestamp(last):
            raise InputError(f"--as-of {as_of} is before the last order counted ({pd.Timestamp(last).date()}); "
                             "pick a later date or set --end")
    as_of_value = as_of.date() if isinstance(as_of, dt.datetime) else as_of
    frame = run(con, "rfm", _params(filters, as_of=as_of_value))[RFM_COLUMNS]
    frame["segment"] = frame["segment"].astype(str)
    return frame


def rfm_segments(con: Any, as_of: dt.date | None = None, filters: Filters | None = None) -> pd.DataFrame:
    """Stable API for other features: RFM per customer over the whole data (or `filters`), RFM_COLUMNS."""
    return rfm(con, filters, as_of)


def segment_names() -> list[str]:
    """The RFM segment names, best first (the order the rules are tried in docs/metrics.md)."""
    return list(SEGMENTS)


def segment_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """From an `rfm()` frame: per segment customers, share of customers, revenue, share of revenue."""
    total_customers = len(frame)
    total_revenue = float(frame["monetary"].sum()) if total_customers else 0.0
    grouped = frame.groupby("segment")["monetary"].agg(customers="count", revenue="sum")
    out = grouped.reindex(SEGMENTS).fillna(0).reset_index().rename(columns={"index": "segment"})
    out["customers"] = out["customers"].astype(int)
    out["customer_share"] = out["customers"] / total_customers if total_customers else 0.0
    out["revenue_share"] = out["revenue"] / total_revenue if total_revenue else 0.0
    return out[definition("segment_summary").column_names()]


def monthly(con: Any, filters: Filters | None = None, grain: str = "month") -> pd.DataFrame:
    """Orders and gross revenue per month (or week) of order time, guests included."""
    return run(con, "monthly", _params(filters, grain=check_grain(grain)))


def countries(con: Any) -> list[str]:
    """Countries with at least one valid order line (for filter widgets)."""
    return [str(c) for c in run(con, "countries")["country"]]


def categories(con: Any) -> list[str]:
    """Product categories with at least one valid order line (for filter widgets)."""
    return [str(c) for c in run(con, "categories")["category"]]


def date_range(con: Any) -> tuple[dt.date | None, dt.date | None]:
    """The dates of the first and the last order in the warehouse (None, None when empty)."""
    row = run(con, "date_range").iloc[0]
    if pd.isna(row["first_order_at"]):
        return None, None
    return pd.Timestamp(row["first_order_at"]).date(), pd.Timestamp(row["last_order_at"]).date()
