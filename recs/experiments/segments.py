"""Who each customer was at assignment time: new versus returning, and an as-of-assignment RFM segment.

Only orders before the customer's own assigned_at are used (no peeking into the experiment).
The managers' RFM scoring is reused (docs/metrics.md): `recs.metrics.rfm_segments(con, as_of=t,
filters=Filters(end=t))`, i.e. quintile scores over every customer's orders before t, with t the single
assignment moment, or for staggered assignments the midnight starting each customer's assignment day (orders
earlier on that same day are then not counted). With more than MAX_AS_OF_DAYS distinct assignment days, or
without recs.metrics, the simpler rules below apply (docs/experiments.md, "Segments").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NEW = "No orders before"
RULES = (  # (name, max recency days, min orders before), first match wins; for returning customers only
    ("Loyal (recent, 3+ orders)", 90, 3),
    ("Active (recent, 1-2 orders)", 90, 1),
    ("At risk (3+ orders, quiet 91-365 days)", 365, 3),
    ("Cooling (1-2 orders, quiet 91-365 days)", 365, 1),
    ("Lapsed (quiet over a year)", float("inf"), 1),
)


def customer_type(frame: pd.DataFrame) -> pd.Series:
    """'returning' when the customer had ordered before assignment, else 'new'."""
    return pd.Series(np.where(frame["orders_before"] > 0, "returning", "new"), index=frame.index, dtype=object)


def rule_segments(frame: pd.DataFrame) -> pd.Series:
    """Segment from recency (days since the last order before assignment) and frequency (orders before)."""
    recency = (frame["assigned_at"] - frame["last_order_before"]).dt.total_seconds() / 86400.0
    freq = frame["orders_before"]
    out = pd.Series(NEW, index=frame.index, dtype=object)
    assigned = pd.Series(False, index=frame.index)
    for name, max_recency, min_orders in RULES:
        hit = (freq >= min_orders) & (recency <= max_recency) & ~assigned
        out[hit] = name
        assigned |= hit
    return out


MAX_AS_OF_DAYS = 20  # staggered assignments over more distinct days than this use the rules above


def _as_of(frame: pd.DataFrame) -> pd.Series:
    """One moment for all: that moment; staggered: the midnight that starts each customer's assignment day."""
    return frame["assigned_at"] if frame["assigned_at"].nunique() == 1 else frame["assigned_at"].dt.floor("D")


def as_of_days(frame: pd.DataFrame) -> list[pd.Timestamp] | None:
    """The as-of moments the managers' RFM must run at, or None when the own rules apply instead."""
    try:
        import recs.metrics  # noqa: F401 - the managers' RFM rules (docs/metrics.md)
    except ImportError:
        return None
    if frame.empty:
        return None
    days = sorted(pd.Timestamp(d) for d in _as_of(frame).unique())
    return days if len(days) <= MAX_AS_OF_DAYS else None


def rfm_as_of(con, moment: pd.Timestamp) -> dict[str, str]:
    """customer_id -> managers' RFM segment over the orders before `moment` (docs/metrics.md)."""
    from recs.metrics import Filters, rfm_segments

    when = pd.Timestamp(moment).to_pydatetime()
    rfm = rfm_segments(con, as_of=when, filters=Filters(end=when))  # orders before `moment` only
    return dict(zip(rfm["customer_id"].astype(str), rfm["segment"].astype(str), strict=False))


def rfm_at_assignment(frame: pd.DataFrame, con=None, lookup=None, progress=None) -> tuple[pd.Series, str]:
    """Each customer's segment at assignment and which rules produced it ('metrics' or 'experiments').

    `lookup(moment) -> {customer_id: segment}` defaults to `rfm_as_of(con, moment)` (pages pass a cached one);
    `progress(fraction, text)` is called once per as-of day.
    """
    days = as_of_days(frame) if (con is not None or lookup is not None) else None
    if days is None:
        return rule_segments(frame), "experiments"
    lookup = lookup or (lambda moment: rfm_as_of(con, moment))
    as_of = _as_of(frame)
    seg = pd.Series(NEW, index=frame.index, dtype=object)
    try:
        for i, day in enumerate(days):
            if progress is not None:
                progress(i / len(days), f"RFM segments as of {day:%Y-%m-%d}")
            rows = (as_of == day).to_numpy()
            mapping = lookup(day)
            seg[rows] = frame.loc[rows, "customer_id"].astype(str).map(mapping).fillna(NEW).to_numpy()
    except Exception:  # noqa: BLE001 - an optional helper must never break the experiment page
        return rule_segments(frame), "experiments"
    return seg, "metrics"
