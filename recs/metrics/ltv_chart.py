"""The observed lifetime-value chart of the Retention page, apart from the Predict page's charts so that drawing it
imports neither the prediction models nor scikit-learn."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def ltv_curves(frame: pd.DataFrame, min_cohort: int = 0, currency: str | None = None) -> go.Figure:
    """Cumulative revenue per customer by periods since the first order, one line per cohort (cohorts of fewer
    than `min_cohort` customers left out; periods not over yet dotted)."""
    fig = go.Figure()
    for cohort, rows in frame[frame["cohort_size"] >= min_cohort].groupby("cohort"):
        fig.add_trace(go.Scatter(x=rows["period"], y=rows["ltv"], mode="lines", name=f"{pd.Timestamp(cohort):%Y-%m}",
                                 line={"width": 1.5},
                                 hovertemplate=f"{pd.Timestamp(cohort):%Y-%m}: " + "%{y:,.2f} after %{x}<extra></extra>"))
    unit = f" ({currency})" if currency else ""
    fig.update_layout(xaxis_title="Periods since the first order", yaxis_title=f"Revenue per customer so far{unit}",
                      height=380, margin={"t": 20, "b": 40})
    return fig
