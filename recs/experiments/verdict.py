"""Plain-language verdicts for the Experiments page: what happened, how sure we are, can we trust the split."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from recs.experiments.analyze import METRICS, SRM_ALPHA, ExperimentResult
from recs.settings import money

LABELS = {
    "conversion": "conversion (share of customers who ordered)",
    "orders_per_customer": "orders per customer",
    "revenue_per_customer": "revenue per customer",
    "repeat_rate": "repeat rate (returning customers who ordered again)",
    "revenue_per_customer_cuped": "revenue per customer (CUPED-adjusted)",
}
MONEY = {"revenue_per_customer", "revenue_per_customer_cuped"}
SPLITS = {"rfm_segment": "RFM segment", "customer_type": "New or returning"}


def fmt_value(metric: str, value: float, signed: bool = False, lift: bool = False,
              currency: str | None = None) -> str:
    """A metric value for people: money in the shop's `currency` (£1.23; a plain 1.23 without one), shares as
    percentages (points for lifts), counts as 0.123."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = ("+" if value > 0 else "-" if value < 0 else "") if signed else ("-" if value < 0 else "")
    v = abs(value)
    if metric in MONEY:
        return f"{sign}{money(v, currency)}"
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
            alpha: float = 0.05, currency: str | None = None) -> tuple[str, str]:
    """(level, sentence) for one treatment and metric, money in `currency`; level is success, info, warning or
    error."""
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
                           f"Observed difference in {label}: "
                           f"{fmt_value(metric, row['lift'], signed=True, currency=currency)}; {split}.")
    ci = (f"95% CI {fmt_value(metric, row['ci_low'], True, currency=currency)} to "
          f"{fmt_value(metric, row['ci_high'], True, currency=currency)}")
    p = row["p_value_holm"] if not np.isnan(row["p_value_holm"]) else row["p_value"]
    p_text = fmt_p(p) + (" (Holm-corrected)" if not np.isnan(row["p_value_holm"]) else "")
    if p < alpha:
        verb = "raised" if row["lift"] > 0 else "lowered"
        text = (f"{name} {verb} {label} by {fmt_value(metric, abs(row['lift']), lift=True, currency=currency)} "
                f"({ci}); {p_text}; {split}.")
        level = ("success" if row["lift"] > 0 else "warning") if healthy else "error"
    else:
        text = (f"No detectable effect of {variant} on {label}: "
                f"{fmt_value(metric, row['lift'], True, currency=currency)} ({ci}); {p_text}; {split}.")
        level = "info" if healthy else "error"
    return level, text


def _percent(value: float, signed: bool = True) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * value:+.1f}%" if signed else f"{100 * value:.1f}%"


def readable_table(table: pd.DataFrame, currency: str | None = None) -> pd.DataFrame:
    """The lift table (`analyze` columns, or the segment table's) for the screen: one row per metric and variant,
    each figure written in its metric's unit ('£12.34', '4.20%', '+0.35 pp'), intervals as 'low to high', no
    machine names and no 'None'. The CSV keeps the machine columns and every digit."""
    rows = table[table["metric"] != "srm"]
    out = pd.DataFrame(index=rows.index)
    if "split" in rows:
        out["Split"] = rows["split"].map(lambda v: SPLITS.get(v, str(v)))
        out["Segment"] = rows["segment"].astype(str)
    out["Metric"] = [LABELS.get(m, m) for m in rows["metric"]]
    out["Variant"] = rows["variant"].astype(str)
    out["Customers"] = rows["customers"]
    out["Value"] = [fmt_value(m, v, currency=currency) for m, v in zip(rows["metric"], rows["value"], strict=True)]
    if "control_value" in rows:
        out["Control value"] = [fmt_value(m, v, currency=currency)
                                for m, v in zip(rows["metric"], rows["control_value"], strict=True)]
    out["Lift"] = [fmt_value(m, v, True, currency=currency) for m, v in zip(rows["metric"], rows["lift"], strict=True)]
    out["95% interval"] = [
        "—" if pd.isna(lo) else f"{fmt_value(m, lo, True, currency=currency)} to {fmt_value(m, hi, True, currency=currency)}"
        for m, lo, hi in zip(rows["metric"], rows["ci_low"], rows["ci_high"], strict=True)]
    out["Relative lift"] = [_percent(v) for v in rows["lift_rel"]]
    if "rel_ci_low" in rows:
        out["Relative 95% interval"] = ["—" if pd.isna(lo) else f"{_percent(lo)} to {_percent(hi)}"
                                        for lo, hi in zip(rows["rel_ci_low"], rows["rel_ci_high"], strict=True)]
    out["p-value"] = pd.to_numeric(rows["p_value"], errors="coerce")  # no test: a blank cell, never 'None'
    if "p_value_holm" in rows:
        out["p-value (Holm)"] = pd.to_numeric(rows["p_value_holm"], errors="coerce")
    out["Note"] = rows["note"].fillna("").astype(str).replace({"None": "", "nan": ""})
    return out.reset_index(drop=True)
