"""Plotly figures of the Predict page (no Streamlit here: the page calls these and draws the result)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from recs.predict.backtest import CALIBRATION_CAP
from recs.predict.report import MODEL_LABELS, RISK_BANDS, VALUE_BANDS


def p_alive_histogram(frame: pd.DataFrame) -> go.Figure:
    """How many customers at each probability of still being a customer."""
    counts, edges = np.histogram(frame["p_alive"], bins=20, range=(0.0, 1.0))
    fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=0.045, marker_color="#3182bd",
                           hovertemplate="p_alive %{x:.2f}: %{y:,} customers<extra></extra>"))
    fig.update_layout(xaxis_title="Probability the customer is still a customer (p_alive)",
                      yaxis_title="Customers", height=300, margin={"t": 20, "b": 40})
    return fig


def value_risk_heatmap(matrix: pd.DataFrame, currency: str | None = None) -> go.Figure:
    """Value band (rows) x churn band (columns): customers in the cell, CLV at stake in the hover."""
    pivot = matrix.pivot(index="value_band", columns="churn_risk", values="customers").reindex(
        index=VALUE_BANDS[::-1], columns=RISK_BANDS)
    money = matrix.pivot(index="value_band", columns="churn_risk", values="clv_12m").reindex(
        index=VALUE_BANDS[::-1], columns=RISK_BANDS)
    unit = f" {currency}" if currency else ""
    text = [[f"{int(c):,} customers<br>{m:,.0f}{unit} CLV" for c, m in zip(cr, mr, strict=True)]
            for cr, mr in zip(pivot.to_numpy(), money.to_numpy(), strict=True)]
    fig = go.Figure(go.Heatmap(z=money.to_numpy(), x=[f"{b} churn risk" for b in RISK_BANDS],
                               y=[f"{b} value" for b in VALUE_BANDS[::-1]], text=text, texttemplate="%{text}",
                               colorscale="Oranges", showscale=False, hoverinfo="text"))
    fig.update_layout(height=320, margin={"t": 20, "b": 40})
    return fig


def calibration_chart(calibration: pd.DataFrame, model: str) -> go.Figure:
    """Mean predicted vs actual purchases in the backtest window, by repeat purchases before the cutoff."""
    rows = calibration[calibration["model"] == model].sort_values("past_repeat_purchases")
    labels = [f"{n}+" if n >= CALIBRATION_CAP else str(n) for n in rows["past_repeat_purchases"]]
    fig = go.Figure([
        go.Scatter(x=labels, y=rows["actual"], name="What happened", mode="lines+markers",
                   line={"color": "#636363"}),
        go.Scatter(x=labels, y=rows["predicted"], name=MODEL_LABELS.get(model, model), mode="lines+markers",
                   line={"color": "#e6550d", "dash": "dash"}),
    ])
    fig.update_layout(xaxis_title="Repeat purchases before the cutoff", yaxis_title="Mean purchases in the window",
                      height=320, margin={"t": 20, "b": 40}, legend={"orientation": "h", "y": 1.1})
    return fig
