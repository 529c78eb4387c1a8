"""Reading the cohort figures fairly: the customer-weighted next-period rate, and which cohorts are too small to
trust (the shop's `min_cohort` setting, recs.settings) so pages grey them and never pick them by default."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class NextPeriodRate:
    """Of the customers of every cohort whose next period is over, the share who ordered in it.

    `rate` is weighted by customers (returning customers / cohort customers, summed over the cohorts), the figure a
    manager means by "a cohort"; `unweighted` is the plain mean of the cohorts' rates, where a 2-customer cohort
    counts as much as a 2,000-customer one (shown only to explain a difference)."""

    rate: float
    unweighted: float
    cohorts: int
    returning: int
    customers: int


def next_period_rate(retention: pd.DataFrame) -> NextPeriodRate | None:
    """From a `recs.metrics.retention` frame: the weighted share ordering again in period 1 over the cohorts whose
    period 1 is complete (None when no cohort has one)."""
    one = retention[(retention["period"] == 1) & retention["complete"].astype(bool)]
    total = int(one["cohort_size"].sum()) if len(one) else 0
    if not total:
        return None
    returning = int(one["customers"].sum())
    return NextPeriodRate(rate=returning / total, unweighted=float(one["retention"].mean()), cohorts=len(one),
                          returning=returning, customers=total)


def cohort_sizes(frame: pd.DataFrame, size_column: str = "cohort_size") -> pd.Series:
    """Customers per cohort, oldest cohort first, from a frame with a `cohort` and a size column (`cohort_size` in
    retention, `customers` in repeat_within and time_to_second_median); rows without a cohort are left out."""
    if frame.empty:
        return pd.Series(dtype="int64")
    sizes = frame.dropna(subset=["cohort"]).groupby("cohort", sort=True)[size_column].first()
    return sizes.astype("int64")


def is_small(sizes: pd.Series, min_cohort: int) -> pd.Series:
    """True for the cohorts with fewer than `min_cohort` customers (greyed, never chosen by default)."""
    return sizes < int(min_cohort)


def default_cohorts(sizes: pd.Series, min_cohort: int, count: int = 3) -> list:
    """The cohorts a comparison starts with: the oldest, a middle and the newest of those with at least
    `min_cohort` customers (fewer when fewer qualify; none when none does)."""
    big = [c for c, n in sizes.items() if n >= int(min_cohort)]
    if not big:
        return []
    if len(big) <= count:
        return big
    if count <= 1:
        return [big[-1]]
    picks = [big[round(i * (len(big) - 1) / (count - 1))] for i in range(count)]
    return list(dict.fromkeys(picks))
