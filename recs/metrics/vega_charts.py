"""Vega-Lite specs (plain dicts) for charts on a page's first screen (no Streamlit here: pages draw the result).

Why not Plotly here: a browser tab loads Plotly.js (4.5 MB) on its first Plotly chart, ~0.7 CPU s of the page's main
thread before anything is drawn, against ~0.15 s for Streamlit's Vega-Lite chart (bench/_browser_pages.py, the
"floor" apps; docs/performance.md). A page with no Plotly chart on it never pays that, so the Overview and the
Customers page draw their charts in Vega-Lite. A spec is data only (JSON-ready values, no pandas).
"""

from __future__ import annotations

import math

import pandas as pd

from recs.metrics.charts import NEW_COLOR, RATE_COLOR, RETURNING_COLOR, SEGMENT_COLORS


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


def _money_title(title: str, currency: str | None) -> str:
    return f"{title} ({currency})" if currency else title


def segment_sizes_spec(summary: pd.DataFrame, currency: str | None = None) -> dict:
    """RFM segments as bars: customers per segment (the bar) and its share of revenue (the label); the tooltip has
    the exact customers, revenue and shares. Segments without customers are left out."""
    data = summary[summary["customers"] > 0]
    values = [{"segment": str(row.segment), "customers": int(row.customers),
               "customer_share": _number(row.customer_share), "revenue": _number(row.revenue),
               "revenue_share": _number(row.revenue_share),
               "label": f"{row.revenue_share:.0%} of revenue" if pd.notna(row.revenue_share) else ""}
              for row in data.itertuples(index=False)]
    order = [v["segment"] for v in values]
    y = {"field": "segment", "type": "nominal", "sort": order, "title": None}
    tooltip = [{"field": "segment", "type": "nominal"},
               {"field": "customers", "type": "quantitative", "format": ",d"},
               {"field": "customer_share", "type": "quantitative", "format": ".1%", "title": "share of customers"},
               {"field": "revenue", "type": "quantitative", "format": ",.0f", "title": _money_title("revenue", currency)},
               {"field": "revenue_share", "type": "quantitative", "format": ".1%", "title": "share of revenue"}]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "height": 340,
        "data": {"values": values},
        "encoding": {"y": y, "x": {"field": "customers", "type": "quantitative", "title": "customers",
                                   "scale": {"nice": True, "padding": 0}}, "tooltip": tooltip},
        "layer": [
            {"mark": {"type": "bar"},
             "encoding": {"color": {"field": "segment", "type": "nominal", "legend": None,
                                    "scale": {"domain": list(SEGMENT_COLORS), "range": list(SEGMENT_COLORS.values())}}}},
            {"mark": {"type": "text", "align": "left", "dx": 4},
             "encoding": {"text": {"field": "label", "type": "nominal"}}},
        ],
    }


def segment_shares_spec(summary: pd.DataFrame) -> dict:
    """Share of customers versus share of revenue per segment (grouped bars), as `charts.segment_bars`."""
    values = [{"segment": str(row.segment), "measure": measure, "share": _number(share)}
              for row in summary.itertuples(index=False)
              for measure, share in (("share of customers", row.customer_share),
                                     ("share of revenue", row.revenue_share))]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "height": 340,
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {"field": "segment", "type": "nominal", "sort": [str(s) for s in summary["segment"]], "title": None,
                  "axis": {"labelAngle": -40, "labelOverlap": False, "labelLimit": 140}},
            "xOffset": {"field": "measure", "type": "nominal"},
            "y": {"field": "share", "type": "quantitative", "axis": {"format": ".0%"}, "title": None},
            "color": {"field": "measure", "type": "nominal", "legend": {"orient": "top", "title": None},
                      "scale": {"domain": ["share of customers", "share of revenue"],
                                "range": [NEW_COLOR, RETURNING_COLOR]}},
            "tooltip": [{"field": "segment", "type": "nominal"}, {"field": "measure", "type": "nominal"},
                        {"field": "share", "type": "quantitative", "format": ".1%"}],
        },
    }
