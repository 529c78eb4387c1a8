"""Plotly figures for the metrics pages (no Streamlit here: pages call these and draw the result)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from recs.metrics.queries import SEGMENTS

NEW_COLOR, RETURNING_COLOR, RATE_COLOR = "#9ecae1", "#3182bd", "#e6550d"
SEGMENT_COLORS = dict(zip(SEGMENTS, ["#1a9850", "#66bd63", "#a6d96a", "#74add1", "#fdae61", "#f46d43",
                                     "#bababa", "#878787"], strict=True))


def _label(ts, grain: str = "month") -> str:
    ts = pd.Timestamp(ts)
    return ts.strftime("%Y-%m") if grain == "month" else ts.strftime("%Y-%m-%d")


def compact(value: float, decimals: int = 1) -> str:
    """12345678 -> '12.3M', 45678 -> '45.7k', 950 -> '950' (KPI tiles stay readable in narrow columns)."""
    if value is None or pd.isna(value):
        return "–"
    for threshold, divisor, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / divisor:,.{decimals}f}{suffix}"
    return f"{value:,.0f}"


def empty_figure(message: str) -> go.Figure:
    """A blank chart carrying a short message (nothing to draw for this selection)."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=200, margin=dict(l=10, r=10, t=10, b=10))
    return fig


def orders_revenue_chart(frame: pd.DataFrame) -> go.Figure:
    """Orders (bars) and gross revenue (line, right axis) per period."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=frame["period"], y=frame["orders"], name="orders", marker_color=RETURNING_COLOR)
    fig.add_scatter(x=frame["period"], y=frame["revenue"], name="revenue", mode="lines+markers",
                    line_color=RATE_COLOR, secondary_y=True)
    fig.update_yaxes(title_text="orders", secondary_y=False)
    fig.update_yaxes(title_text="revenue", secondary_y=True, rangemode="tozero", showgrid=False)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.12))
    return fig


def returning_chart(frame: pd.DataFrame) -> go.Figure:
    """New and returning customers per period (stacked bars) and the returning-customer rate (line)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=frame["period"], y=frame["new_customers"], name="new customers", marker_color=NEW_COLOR)
    fig.add_bar(x=frame["period"], y=frame["returning_customers"], name="returning customers",
                marker_color=RETURNING_COLOR)
    fig.add_scatter(x=frame["period"], y=frame["returning_rate"], name="returning rate", mode="lines+markers",
                    line_color=RATE_COLOR, secondary_y=True)
    fig.update_layout(barmode="stack", height=360, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.12))
    fig.update_yaxes(title_text="customers", secondary_y=False)
    fig.update_yaxes(title_text="returning rate", tickformat=".0%", range=[0, 1], tickmode="linear", dtick=0.25,
                     showgrid=False, secondary_y=True)
    return fig


def retention_heatmap(frame: pd.DataFrame, grain: str = "month", value: str = "retention") -> go.Figure:
    """Cohort x offset heatmap of `value` (retention or revenue_retention); incomplete cells hatched and starred.

    Rows are cohorts labelled with their size; hover shows customers, cohort size and revenue.
    """
    if frame.empty:
        return empty_figure("No cohorts in this selection.")
    cohorts = sorted(frame["cohort"].unique())
    periods = list(range(int(frame["period"].max()) + 1)) if len(frame) else []
    sizes = frame.groupby("cohort")["cohort_size"].first()
    labels = [f"{_label(c, grain)} (n={int(sizes[c]):,})" for c in cohorts]
    grid = frame.pivot(index="cohort", columns="period", values=value).reindex(index=cohorts, columns=periods)
    cust = frame.pivot(index="cohort", columns="period", values="customers").reindex(index=cohorts, columns=periods)
    rev = frame.pivot(index="cohort", columns="period", values="revenue").reindex(index=cohorts, columns=periods)
    done = frame.pivot(index="cohort", columns="period", values="complete").reindex(index=cohorts, columns=periods)
    z = grid.to_numpy(dtype=float)
    incomplete = done.eq(False).to_numpy()
    text = [["" if np.isnan(v) else f"{v:.0%}" + ("*" if bad else "") for v, bad in zip(row, flags, strict=True)]
            for row, flags in zip(z, incomplete, strict=True)]
    custom = np.dstack([cust.to_numpy(dtype=float), np.repeat(sizes.reindex(cohorts).to_numpy(float)[:, None],
                                                               len(periods), axis=1), rev.to_numpy(dtype=float),
                        np.where(incomplete, 1.0, 0.0)])
    what = "retention" if value == "retention" else "revenue retention"
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.07, 0.93], horizontal_spacing=0.01)
    fig.add_trace(go.Heatmap(
        z=z, x=periods, y=labels, text=text, texttemplate="%{text}", textfont={"size": 10},
        colorscale="Blues", zmin=0, zmax=1 if value == "retention" else None, customdata=custom,
        colorbar={"title": what, "tickformat": ".0%"}, xgap=1, ygap=1,
        hovertemplate=("cohort %{y}<br>offset %{x}<br>" + what + " %{z:.1%}<br>customers %{customdata[0]:,.0f}"
                       " of %{customdata[1]:,.0f}<br>revenue %{customdata[2]:,.2f}<extra></extra>"),
    ), row=1, col=2)
    size_values = sizes.reindex(cohorts).to_numpy(float)
    fig.add_trace(go.Heatmap(  # the cohort size column, grey so it does not read as a retention cell
        z=size_values[:, None], x=["size"], y=labels, text=[[f"{int(v):,}"] for v in size_values],
        texttemplate="%{text}", textfont={"size": 10}, colorscale=[[0, "#f0f0f0"], [1, "#bdbdbd"]],
        showscale=False, xgap=1, ygap=1, hovertemplate="cohort %{y}: %{z:,.0f} customers<extra></extra>",
    ), row=1, col=1)
    ys, xs = np.nonzero(incomplete & ~np.isnan(z))
    if len(xs):
        fig.add_trace(go.Scatter(
            x=[periods[i] for i in xs], y=[labels[j] for j in ys], mode="markers",
            marker={"symbol": "line-ne", "size": 14, "color": "rgba(80,80,80,0.55)",
                    "line": {"width": 1.5, "color": "rgba(80,80,80,0.55)"}},
            name="incomplete: period not over at the data end (*)", hoverinfo="skip"), row=1, col=2)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_yaxes(title_text="cohort (size)", row=1, col=1)
    fig.update_xaxes(title_text=f"{grain}s since first order", dtick=1, row=1, col=2)
    fig.update_xaxes(side="bottom", row=1, col=1)
    fig.update_layout(height=max(320, 22 * len(cohorts) + 120), margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.06), plot_bgcolor="white")
    return fig


def retention_curves(frame: pd.DataFrame, cohorts: list, grain: str = "month", value: str = "retention") -> go.Figure:
    """One line per chosen cohort; open markers where the period was not over at the data end."""
    fig = go.Figure()
    for c in cohorts:
        part = frame[frame["cohort"] == c].sort_values("period")
        fig.add_scatter(x=part["period"], y=part[value], mode="lines+markers", name=_label(c, grain),
                        marker={"symbol": ["circle" if ok else "circle-open" for ok in part["complete"]], "size": 8},
                        customdata=part[["customers", "cohort_size"]].to_numpy(),
                        hovertemplate="offset %{x}: %{y:.1%} (%{customdata[0]} of %{customdata[1]})<extra></extra>")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", title_text=value.replace("_", " "))
    fig.update_xaxes(title_text=f"{grain}s since first order", dtick=1)
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10))
    return fig


def repeat_within_chart(frame: pd.DataFrame, days: list[str], grain: str = "month") -> go.Figure:
    """Per cohort, the share with a second order within each N days; incomplete bars hatched."""
    fig = go.Figure()
    palette = ["#c6dbef", "#6baed6", "#2171b5", "#08306b", "#9e9ac8"]
    x = [_label(c, grain) for c in frame["cohort"]]
    for i, d in enumerate(days):
        complete = frame[f"complete_{d}"].astype(bool)
        fig.add_bar(x=x, y=frame[f"within_{d}"], name=f"within {d} days", marker_color=palette[i % len(palette)],
                    marker_pattern_shape=["" if ok else "/" for ok in complete],
                    customdata=np.where(complete, "complete", "incomplete: window runs past the data end"),
                    hovertemplate="%{x}: %{y:.1%} (%{customdata})<extra></extra>")
    fig.update_yaxes(tickformat=".0%", title_text="share of cohort", rangemode="tozero")
    fig.update_layout(barmode="group", height=340, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.12))
    return fig


def histogram_bins(values: np.ndarray, target_bins: int = 60,
                   weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Counts (sums of `weights`, default 1 each) and edges of `values` in bins of a round width (1, 2 or 5
    times a power of ten) starting at 0 or below.

    Binning here, not in the browser, keeps the figure small when there are hundreds of thousands of values.
    """
    values = np.asarray(values, dtype=float)
    weights = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=float)
    finite = np.isfinite(values)
    values, weights = values[finite], weights[finite]
    if not len(values):
        return np.zeros(0, dtype=np.int64), np.zeros(1)
    low, high = min(0.0, float(values.min())), float(values.max())
    raw = max((high - low) / target_bins, 1e-9)
    power = 10 ** np.floor(np.log10(raw))
    width = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = np.floor(low / width) * width
    n = max(1, int(np.floor((high - start) / width)) + 1)
    edges = start + width * np.arange(n + 1)
    counts = np.bincount(np.minimum(((values - start) // width).astype(np.int64), n - 1), weights=weights, minlength=n)
    return counts.astype(np.int64) if np.all(weights == np.round(weights)) else counts, edges


def days_histogram(days: np.ndarray, median: float | None, x_title: str, weights: np.ndarray | None = None,
                   unit: str = "customers", median_text: str | None = None, target_bins: int = 60) -> go.Figure:
    """Bars of `days` (each counted `weights` times, default once) in round bins of whole days, the median marked.

    Binned here (`histogram_bins`), so the browser gets one bar per bin, not every value (a product's repurchase
    gaps are ~100 k values at 10 M lines)."""
    counts, edges = histogram_bins(np.asarray(days, dtype=float), target_bins, weights)
    labels = [f"{a:g}–{b:g}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    fig = go.Figure(go.Bar(x=((edges[:-1] + edges[1:]) / 2).tolist(), y=counts.tolist(), width=np.diff(edges).tolist(),
                           customdata=labels,
                           marker_color=RETURNING_COLOR, name=unit,
                           hovertemplate="%{customdata} days: %{y:,} " + unit + "<extra></extra>"))
    if median is not None and not pd.isna(median):
        fig.add_vline(x=median, line_dash="dash", line_color=RATE_COLOR,
                      annotation_text=median_text or f"median {median:.1f} days", annotation_position="top right")
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=unit)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), bargap=0.05)
    return fig


def time_to_second_histogram(days: pd.DataFrame, median: float | None) -> go.Figure:
    """Distribution of days from first to second order, from `time_to_second_days` (days, customers), in round
    bins of whole days; the median marked."""
    return days_histogram(days["days"].to_numpy(dtype=float), median, "days from first to second order",
                          weights=days["customers"].to_numpy(float))


def segment_treemap(summary: pd.DataFrame) -> go.Figure:
    """RFM segments: area = customers, label with the revenue share."""
    data = summary[summary["customers"] > 0]
    fig = go.Figure(go.Treemap(
        labels=data["segment"], parents=[""] * len(data), values=data["customers"],
        marker_colors=[SEGMENT_COLORS.get(s, "#cccccc") for s in data["segment"]],
        customdata=data[["customer_share", "revenue_share", "revenue"]].to_numpy(),
        texttemplate="<b>%{label}</b><br>%{value:,} customers<br>%{customdata[1]:.0%} of revenue",
        hovertemplate="%{label}: %{value:,} customers (%{customdata[0]:.1%}), revenue %{customdata[2]:,.0f} "
                      "(%{customdata[1]:.1%})<extra></extra>",
    ))
    fig.update_layout(height=380, margin=dict(l=5, r=5, t=10, b=5))
    return fig


def segment_bars(summary: pd.DataFrame) -> go.Figure:
    """Share of customers versus share of revenue per segment."""
    fig = go.Figure()
    fig.add_bar(x=summary["segment"], y=summary["customer_share"], name="share of customers", marker_color=NEW_COLOR)
    fig.add_bar(x=summary["segment"], y=summary["revenue_share"], name="share of revenue",
                marker_color=RETURNING_COLOR)
    fig.update_yaxes(tickformat=".0%")
    fig.update_layout(barmode="group", height=340, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.12))
    return fig
