"""Observed lifetime value beside the predicted one: the `ltv` metric (recs/metrics/sql/ltv.sql + ltv.toml),
cumulative revenue per customer by months since the first order, per cohort (Retention page, with its CSV)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from recs.metrics import Filters, definition
from recs.metrics.filters import check_grain
from recs.metrics.loader import run

LTV_COLUMNS = definition("ltv").column_names()


def observed_ltv(con: Any, grain: str = "month", filters: Filters | None = None) -> pd.DataFrame:
    """Cohort x period: LTV_COLUMNS (cumulative revenue per customer of each first-order cohort)."""
    params = {**(filters or Filters()).params(), "grain": check_grain(grain)}
    return run(con, "ltv", params)[LTV_COLUMNS]
