"""Plotly figures for the Experiments page (built here so the page stays thin and the figures are testable)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from recs.experiments.verdict import fmt_value

SHORT = {"conversion": "conversion", "orders_per_customer": "orders per customer",
         "revenue_per_customer": "revenue per customer", "repeat_rate": "repeat rate",
         "revenue_per_customer_cuped": "revenue per customer (CUPED)"}


def forest_plot(table: pd.DataFrame, currency: str | None = None) -> go.Figure:
    """Relative lift of every treatment and metric with its 95% delta-method interval, on one axis (percent); the
    hover gives the absolute lift (money in `currency`)."""
    rows = table[(table["metric"] != "srm") & table["lift_rel"].notna() & table["p_value"].notna()]
    rows = rows.iloc[::-1]
    labels = [f"{SHORT.get(m, m)} · {v}" for m, v in zip(rows["metric"], rows["variant"], strict=True)]
    hover = [f"absolute lift {fmt_value(m, lift, True, currency=currency)} (95% CI "
             f"{fmt_value(m, lo, True, currency=currency)} to {fmt_value(m, hi, True, currency=currency)}), "
             f"p = {p:.3g}"
             for m, lift, lo, hi, p in zip(rows["metric"], rows["lift"], rows["ci_low"], rows["ci_high"],
                                           rows["p_value"], strict=True)]
    x = 100 * rows["lift_rel"].to_numpy(dtype=float)
    lo = 100 * rows["rel_ci_low"].to_numpy(dtype=float)
    hi = 100 * rows["rel_ci_high"].to_numpy(dtype=float)
    colors = np.where(lo > 0, "#2e7d32", np.where(hi < 0, "#c62828", "#546e7a"))
    fig = go.Figure(go.Scatter(
        x=x, y=labels, mode="markers", marker={"size": 10, "color": colors},
        error_x={"type": "data", "symmetric": False, "array": hi - x, "arrayminus": x - lo, "thickness": 2},
        hovertext=hover, hoverinfo="text",
    ))
    fig.add_vline(x=0, line_dash="dash", line_color="#888")
    fig.update_layout(xaxis_title="relative lift, % (95% interval)", height=120 + 40 * len(rows),
                      margin={"l": 10, "r": 10, "t": 30, "b": 40}, showlegend=False)
    return fig


def cumulative_plot(cum: pd.DataFrame, metric: str = "revenue_per_customer", currency: str | None = None) -> go.Figure:
    """Cumulative metric per customer by day since assignment, one line per variant (money in `currency`)."""
    fig = go.Figure()
    for variant, part in cum.groupby("variant", sort=False):
        y = part[metric].to_numpy(dtype=float)
        if metric == "conversion":
            y = 100 * y
        fig.add_trace(go.Scatter(x=part["day"], y=y, mode="lines", name=str(variant)))
    unit = "%" if metric == "conversion" else ((currency or "amount") if "revenue" in metric else "orders")
    fig.update_layout(xaxis_title="days since assignment", yaxis_title=f"{SHORT.get(metric, metric)} ({unit})",
                      margin={"l": 10, "r": 10, "t": 30, "b": 40}, legend={"orientation": "h"})
    return fig
