"""Vega-Lite specs (plain dicts) for charts on a page's first screen (no Streamlit here: pages draw the result).

Why not Plotly here: a browser tab loads Plotly.js (4.5 MB) on its first Plotly chart, ~0.7 CPU s of the page's main
thread before anything is drawn, against ~0.15 s for Streamlit's Vega-Lite chart (bench/_browser_pages.py, the
"floor" apps; docs/performance.md). A page with no Plotly chart on it never pays that, so the Overview draws its one
chart in Vega-Lite. A spec is data only (JSON-ready values, no pandas), built once per data version by the page.
"""

from __future__ import annotations

import math

import pandas as pd

from recs.metrics.charts import RATE_COLOR, RETURNING_COLOR


def _number(value: object) -> float | None:
    """A JSON-ready number: None for a missing value (Vega-Lite leaves a gap)."""
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return None if math.isinf(number) else number


def orders_revenue_spec(frame: pd.DataFrame, currency: str | None = None) -> dict:
    """Orders (bars, left axis) and gross revenue (line, right axis, in `currency` when the shop has one) per month;
    the same figures as `charts.orders_revenue_chart`, with the exact values in the tooltip."""
    money = f"revenue ({currency})" if currency else "revenue"
    values = [{"period": pd.Timestamp(p).strftime("%Y-%m-%d"), "orders": _number(o), "revenue": _number(r)}
              for p, o, r in zip(frame["period"], frame["orders"], frame["revenue"], strict=True)]
    x = {"field": "period", "type": "temporal", "timeUnit": "yearmonth", "title": None,
         "axis": {"format": "%Y-%m", "labelAngle": 0}}
    colors = {"domain": ["orders", "revenue"], "range": [RETURNING_COLOR, RATE_COLOR]}
    tooltip = [{"field": "period", "type": "temporal", "timeUnit": "yearmonth", "title": "month", "format": "%Y-%m"},
               {"field": "orders", "type": "quantitative", "format": ",d"},
               {"field": "revenue", "type": "quantitative", "format": ",.2f", "title": money}]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "height": 320,
        "data": {"values": values},
        "layer": [
            {"mark": {"type": "bar", "tooltip": True},
             "encoding": {"x": x, "y": {"field": "orders", "type": "quantitative", "title": "orders"},
                          "color": {"datum": "orders", "type": "nominal", "scale": colors,
                                    "legend": {"orient": "top", "title": None}},
                          "tooltip": tooltip}},
            {"mark": {"type": "line", "point": True, "tooltip": True},
             "encoding": {"x": {**x, "bandPosition": 0.5},
                          "y": {"field": "revenue", "type": "quantitative", "title": money,
                                "axis": {"orient": "right", "grid": False}},
                          "color": {"datum": "revenue", "type": "nominal", "scale": colors},
                          "tooltip": tooltip}},
        ],
        "resolve": {"scale": {"y": "independent"}},
    }
