"""Plain-language verdicts for the Experiments page: what happened, how sure we are, can we trust the split."""

from __future__ import annotations

import math

import numpy as np

from recs.experiments.analyze import METRICS, SRM_ALPHA, ExperimentResult

LABELS = {
    "conversion": "conversion (share of customers who ordered)",
    "orders_per_customer": "orders per customer",
    "revenue_per_customer": "revenue per customer",
    "repeat_rate": "repeat rate (returning customers who ordered again)",
    "revenue_per_customer_cuped": "revenue per customer (CUPED-adjusted)",
}
MONEY = {"revenue_per_customer", "revenue_per_customer_cuped"}


def fmt_value(metric: str, value: float, signed: bool = False, lift: bool = False, currency: str = "£") -> str:
    """A metric value for people: money as £1.23, shares as percentages (points for lifts), counts as 0.123."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = ("+" if value > 0 else "-" if value < 0 else "") if signed else ("-" if value < 0 else "")
    v = abs(value)
    if metric in MONEY:
        return f"{sign}{currency}{v:,.2f}"
    if METRICS.get(metric):
        return f"{sign}{100 * v:.2f} pp" if (signed or lift) else f"{sign}{100 * v:.2f}%"
    return f"{sign}{v:.3f}"


def fmt_p(p: float, name: str = "p") -> str:
    """'p = 0.034', 'p < 0.001' or 'p = n/a'."""
    if p is None or np.isnan(p):
        return f"{name} = n/a"
    return f"{name} < 0.001" if p < 0.001 else f"{name} = {p:.3f}"


def split_sentence(result: ExperimentResult) -> tuple[str, bool]:
    """'the split looks healthy' or an SRM warning, and whether the split is healthy."""
    p = result.srm["p_value"]
    counts = ", ".join(f"{v}: {n:,}" for v, n in result.srm["counts"].items())
    if np.isnan(p):
        return "the split could not be checked", True
    if p < SRM_ALPHA:
        return (f"but the split does NOT match the plan ({fmt_p(p, 'SRM p')}; {counts}), so these results cannot be "
                "trusted", False)
    return f"the split looks healthy ({fmt_p(p, 'SRM p')})", True


def verdict(result: ExperimentResult, metric: str = "revenue_per_customer", variant: str | None = None,
            alpha: float = 0.05) -> tuple[str, str]:
    """(level, sentence) for one treatment and metric; level is success, info, warning or error."""
    table = result.table
    treat = [v for v in result.variants if v != result.control]
    if result.guards.included == 0:
        return "info", (f"No customer of {result.experiment_id!r} has a complete {result.window_days}-day window yet "
                        f"({result.guards.past_data_end:,} left out because their window runs past the data's end). "
                        "Import newer orders, or pick a shorter window.")
    if not treat:
        return "warning", f"{result.experiment_id!r} has only the control variant: nothing to compare."
    variant = variant if variant in treat else treat[0]
    row = table[(table["metric"] == metric) & (table["variant"] == variant)].iloc[0]
    split, healthy = split_sentence(result)
    label = LABELS.get(metric, metric)
    name = variant.capitalize()
    if np.isnan(row["p_value"]):
        return "warning", (f"{name} versus {result.control}: {row['note'] or 'no test possible'}. "
                           f"Observed difference in {label}: {fmt_value(metric, row['lift'], signed=True)}; {split}.")
    ci = f"95% CI {fmt_value(metric, row['ci_low'], True)} to {fmt_value(metric, row['ci_high'], True)}"
    p = row["p_value_holm"] if not np.isnan(row["p_value_holm"]) else row["p_value"]
    p_text = fmt_p(p) + (" (Holm-corrected)" if not np.isnan(row["p_value_holm"]) else "")
    if p < alpha:
        verb = "raised" if row["lift"] > 0 else "lowered"
        text = (f"{name} {verb} {label} by {fmt_value(metric, abs(row['lift']), lift=True)} ({ci}); {p_text}; {split}.")
        level = ("success" if row["lift"] > 0 else "warning") if healthy else "error"
    else:
        text = (f"No detectable effect of {variant} on {label}: {fmt_value(metric, row['lift'], True)} ({ci}); "
                f"{p_text}; {split}.")
        level = "info" if healthy else "error"
    return level, text
