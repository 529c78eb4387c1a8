"""Who each customer was at assignment time: new versus returning, and an as-of-assignment RFM segment.

Only orders before the customer's own assigned_at are used (no peeking into the experiment).
For experiments whose customers were all assigned at one moment (the usual e-mail send) the managers' RFM
scoring is reused: `recs.metrics.rfm_segments(con, as_of=t, filters=Filters(end=t))`, i.e. quintile scores
over every customer's orders before t (docs/metrics.md). For staggered assignments, where each customer has
their own as-of time, the simpler rules below apply (docs/experiments.md, "Segments").
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
    return pd.Series(np.where(frame["orders_before"] > 0, "returning", "new"), index=frame.index)


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


def _metrics_segments(con, frame: pd.DataFrame) -> pd.Series | None:
    """Segments from recs.metrics.rfm_segments as of the single assignment time, when available."""
    try:
        from recs.metrics import Filters, rfm_segments  # the managers' RFM rules (docs/metrics.md)
    except ImportError:
        return None
    moments = frame["assigned_at"].unique()
    if con is None or len(moments) != 1:
        return None
    try:
        moment = pd.Timestamp(moments[0]).to_pydatetime()
        rfm = rfm_segments(con, as_of=moment, filters=Filters(end=moment))  # orders before assignment only
    except Exception:  # noqa: BLE001 - an optional helper must never break the experiment page
        return None
    if not {"customer_id", "segment"} <= set(rfm.columns):
        return None
    mapping = dict(zip(rfm["customer_id"].astype(str), rfm["segment"].astype(str), strict=False))
    seg = frame["customer_id"].astype(str).map(mapping)
    return seg.where(frame["orders_before"] > 0, NEW).fillna(NEW).astype(object)


def rfm_at_assignment(frame: pd.DataFrame, con=None) -> tuple[pd.Series, str]:
    """Each customer's segment at assignment and which rules produced it ('metrics' or 'experiments')."""
    seg = _metrics_segments(con, frame) if len(frame) else None
    if seg is not None:
        return seg, "metrics"
    return rule_segments(frame), "experiments"
