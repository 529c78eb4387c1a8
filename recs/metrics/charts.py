"""Plotly figures for the metrics pages (no Streamlit here: pages call these and draw the result)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from recs.metrics.queries import SEGMENTS
from recs.settings import compact_number

NEW_COLOR, RETURNING_COLOR, RATE_COLOR = "#9ecae1", "#3182bd", "#e6550d"
SEGMENT_COLORS = dict(zip(SEGMENTS, ["#1a9850", "#66bd63", "#a6d96a", "#74add1", "#fdae61", "#f46d43",
                                     "#bababa", "#878787"], strict=True))


SMALL_COLOR, NEUTRAL_COLOR = "#d9d9d9", "#eeeeee"


def _axis_money(title: str, currency: str | None) -> str:
    return f"{title} ({currency})" if currency else title


def _label(ts, grain: str = "month") -> str:
    ts = pd.Timestamp(ts)
    return ts.strftime("%Y-%m") if grain == "month" else ts.strftime("%Y-%m-%d")


def compact(value: float, decimals: int = 1) -> str:
    """12345678 -> '12.3M', 45678 -> '45.7k', 950 -> '950' (KPI tiles stay readable in narrow columns)."""
    if value is None or pd.isna(value):
        return "–"
    return compact_number(value, decimals)


def empty_figure(message: str) -> go.Figure:
    """A blank chart carrying a short message (nothing to draw for this selection)."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=200, margin=dict(l=10, r=10, t=10, b=10))
    return fig


def orders_revenue_chart(frame: pd.DataFrame, currency: str | None = None) -> go.Figure:
    """Orders (bars) and gross revenue (line, right axis, in `currency` when the shop has one) per period."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=frame["period"], y=frame["orders"], name="orders", marker_color=RETURNING_COLOR)
    fig.add_scatter(x=frame["period"], y=frame["revenue"], name="revenue", mode="lines+markers",
                    line_color=RATE_COLOR, secondary_y=True)
    fig.update_yaxes(title_text="orders", secondary_y=False)
    fig.update_yaxes(title_text=_axis_money("revenue", currency), secondary_y=True, rangemode="tozero",
                     showgrid=False)
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


def heatmap_scale_max(frame: pd.DataFrame, value: str, min_cohort: int = 0) -> float:
    """The top of the heatmap's colour scale: the highest `value` after period 0 (always 100 %) among cohorts of at
    least `min_cohort` customers, capped at 100 % (revenue retention above it saturates; the cell's text keeps the
    real figure)."""
    later = frame[(frame["period"] > 0) & (frame["cohort_size"] >= min_cohort)][value].astype(float)
    top = float(later.max()) if len(later.dropna()) else 1.0
    return min(max(top, 0.05), 1.0)


def retention_heatmap(frame: pd.DataFrame, grain: str = "month", value: str = "retention", min_cohort: int = 0,
                      max_periods: int | None = None, currency: str | None = None) -> go.Figure:
    """Cohort x offset heatmap of `value` (retention or revenue_retention); incomplete cells hatched and starred.

    Rows are cohorts labelled with their size; hover shows customers, cohort size and revenue. Period 0 (100 % by
    definition) and cohorts under `min_cohort` customers are drawn in grey outside the colour scale, whose top is
    `heatmap_scale_max`; `max_periods` keeps the columns 0..max_periods (a weekly grid stays readable).
    """
    if frame.empty:
        return empty_figure("No cohorts in this selection.")
    cohorts = sorted(frame["cohort"].unique())
    last = int(frame["period"].max())
    periods = list(range((last if max_periods is None else min(last, int(max_periods))) + 1))
    sizes = frame.groupby("cohort")["cohort_size"].first()
    small = (sizes.reindex(cohorts) < min_cohort).to_numpy()
    labels = [f"{_label(c, grain)} (n={int(sizes[c]):,}{', small' if s else ''})"
              for c, s in zip(cohorts, small, strict=True)]

    def grid(column: str) -> pd.DataFrame:
        return frame.pivot(index="cohort", columns="period", values=column).reindex(index=cohorts, columns=periods)

    z, cust, rev = (grid(c).to_numpy(dtype=float) for c in (value, "customers", "revenue"))
    incomplete = grid("complete").eq(False).to_numpy()
    text = [["" if np.isnan(v) else f"{v:.0%}" + ("*" if bad else "") for v, bad in zip(row, flags, strict=True)]
            for row, flags in zip(z, incomplete, strict=True)]
    if len(periods) > 40:  # too narrow for numbers: the hover and the CSV keep them
        text = [["" for _ in row] for row in text]
    custom = np.dstack([cust, np.repeat(sizes.reindex(cohorts).to_numpy(float)[:, None], len(periods), axis=1), rev,
                        np.where(incomplete, 1.0, 0.0)])
    neutral = np.zeros_like(z, dtype=bool)
    neutral[:, 0] = True
    neutral[small, :] = True
    what = "retention" if value == "retention" else "revenue retention"
    hover = ("cohort %{y}<br>offset %{x}<br>" + what + " %{customdata[4]:.1%}<br>customers %{customdata[0]:,.0f}"
             " of %{customdata[1]:,.0f}<br>" + _axis_money("revenue", currency) + " %{customdata[2]:,.2f}"
             "<extra></extra>")
    custom = np.dstack([custom, z])
    top = heatmap_scale_max(frame[frame["period"].isin(periods)], value, min_cohort)
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.07, 0.93], horizontal_spacing=0.01)
    fig.add_trace(go.Heatmap(  # period 0 and small cohorts: grey, outside the colour scale
        z=np.where(neutral & ~np.isnan(z), 0.0, np.nan), x=periods, y=labels,
        text=[[t if n else "" for t, n in zip(row, flags, strict=True)] for row, flags in zip(text, neutral,
                                                                                               strict=True)],
        texttemplate="%{text}", textfont={"size": 10, "color": "#636363"}, customdata=custom,
        colorscale=[[0, NEUTRAL_COLOR], [1, NEUTRAL_COLOR]], showscale=False, xgap=1, ygap=1, hovertemplate=hover,
    ), row=1, col=2)
    fig.add_trace(go.Heatmap(
        z=np.where(neutral, np.nan, z), x=periods, y=labels,
        text=[[t if not n else "" for t, n in zip(row, flags, strict=True)] for row, flags in zip(text, neutral,
                                                                                                   strict=True)],
        texttemplate="%{text}", textfont={"size": 10}, colorscale="Blues", zmin=0, zmax=top, customdata=custom,
        colorbar={"title": what, "tickformat": ".0%"}, xgap=1, ygap=1, hovertemplate=hover,
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
    fig.update_xaxes(title_text=f"{grain}s since first order", dtick=1 if len(periods) <= 40 else 4,
                     range=[-0.5, len(periods) - 0.5], row=1, col=2)
    fig.update_xaxes(side="bottom", row=1, col=1)
    fig.update_layout(height=max(320, 22 * len(cohorts) + 120), margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.06), plot_bgcolor="white")
    return fig


def retention_curves(frame: pd.DataFrame, cohorts: list, grain: str = "month", value: str = "retention") -> go.Figure:
    """One line per chosen cohort (its size in the hover); open markers where the period was not over at the data
    end."""
    fig = go.Figure()
    for c in cohorts:
        part = frame[frame["cohort"] == c].sort_values("period")
        fig.add_scatter(x=part["period"], y=part[value], mode="lines+markers", name=_label(c, grain),
                        marker={"symbol": ["circle" if ok else "circle-open" for ok in part["complete"]], "size": 8},
                        customdata=part[["customers", "cohort_size"]].to_numpy(),
                        hovertemplate="offset %{x}: %{y:.1%} (%{customdata[0]:,} of %{customdata[1]:,})"
                                      "<extra></extra>")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero",
                     title_text="share of customers" if value == "retention" else "share of period-0 revenue")
    fig.update_xaxes(title_text=f"{grain}s since first order", dtick=1)
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10))
    return fig


def repeat_within_chart(frame: pd.DataFrame, days: list[str], grain: str = "month", min_cohort: int = 0) -> go.Figure:
    """Per cohort, the share with a second order within each N days; incomplete bars hatched; cohorts under
    `min_cohort` customers grey (their few customers make tall bars easy)."""
    fig = go.Figure()
    palette = ["#c6dbef", "#6baed6", "#2171b5", "#08306b", "#9e9ac8"]
    small = (frame["customers"].astype(float) < min_cohort).to_numpy() if len(frame) else np.zeros(0, dtype=bool)
    x = [_label(c, grain) + (" (small)" if s else "") for c, s in zip(frame["cohort"], small, strict=True)]
    for i, d in enumerate(days):
        complete = frame[f"complete_{d}"].astype(bool)
        state = np.where(complete, "complete", "incomplete: window runs past the data end")
        fig.add_bar(x=x, y=frame[f"within_{d}"], name=f"within {d} days",
                    marker_color=[SMALL_COLOR if s else palette[i % len(palette)] for s in small],
                    marker_pattern_shape=["" if ok else "/" for ok in complete],
                    customdata=np.column_stack([state, frame["customers"].astype(float)]),
                    hovertemplate="%{x}: %{y:.1%} of %{customdata[1]:,.0f} customers (%{customdata[0]})"
                                  "<extra></extra>")
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
                   unit: str = "customers", median_text: str | None = None, target_bins: int = 60,
                   marks: list[tuple[float, str]] | None = None) -> go.Figure:
    """Bars of `days` (each counted `weights` times, default once) in round bins of whole days, the median marked
    (and each of `marks`, (days, text): e.g. the medians of a two-humped cycle).

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
    for x, text in marks or []:
        fig.add_vline(x=x, line_dash="dot", line_color=RATE_COLOR, annotation_text=text,
                      annotation_position="top right")
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=unit)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), bargap=0.05)
    return fig


def time_to_second_histogram(days: pd.DataFrame, median: float | None) -> go.Figure:
    """Distribution of days from first to second order, from `time_to_second_days` (days, customers), in round
    bins of whole days; the median marked."""
    return days_histogram(days["days"].to_numpy(dtype=float), median, "days from first to second order",
                          weights=days["customers"].to_numpy(float))


def segment_treemap(summary: pd.DataFrame, currency: str | None = None) -> go.Figure:
    """RFM segments: area = customers, label with the revenue share."""
    data = summary[summary["customers"] > 0]
    fig = go.Figure(go.Treemap(
        labels=data["segment"], parents=[""] * len(data), values=data["customers"],
        marker_colors=[SEGMENT_COLORS.get(s, "#cccccc") for s in data["segment"]],
        customdata=data[["customer_share", "revenue_share", "revenue"]].to_numpy(),
        texttemplate="<b>%{label}</b><br>%{value:,} customers<br>%{customdata[1]:.0%} of revenue",
        hovertemplate="%{label}: %{value:,} customers (%{customdata[0]:.1%}), "
                      + _axis_money("revenue", currency) + " %{customdata[2]:,.0f} "
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
