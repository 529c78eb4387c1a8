"""The per-experiment table: per variant and metric the value, and for treatments the lift, interval and p-value.

The CLI (`python -m recs abtest`) writes `abtest_table`; the Experiments page shows `analyze_experiment`'s
richer result. Both go through the same functions, so a number on screen is the number in the CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recs.errors import InputError
from recs.experiments import data, stats
from recs.experiments.segments import customer_type, rfm_at_assignment

COLUMNS = ["experiment_id", "metric", "variant", "customers", "value", "lift", "lift_rel", "ci_low", "ci_high",
           "p_value"]
EXTRA_COLUMNS = ["rel_ci_low", "rel_ci_high", "p_value_holm", "note"]
METRICS: dict[str, bool] = {  # metric -> is a share (0/1 per customer)
    "conversion": True,
    "orders_per_customer": False,
    "revenue_per_customer": False,
    "repeat_rate": True,
    "revenue_per_customer_cuped": False,
}
MIN_CUSTOMERS = 10     # below this in either arm: no interval and no p-value
SRM_ALPHA = 0.001      # the split is called unhealthy below this p-value
DEFAULT_CONTROL = "control"


@dataclass
class ExperimentResult:
    """Everything the page shows for one experiment."""

    experiment_id: str
    control: str
    variants: list[str]                 # control first
    window_days: int
    pre_days: int
    guards: data.Guards
    table: pd.DataFrame                 # COLUMNS + EXTRA_COLUMNS, srm row last
    srm: dict                           # chi2, p_value, counts {variant: n}, planned {variant: share}
    cuped: dict                         # theta, variance_reduction
    customers: pd.DataFrame             # included customers with per-customer metric values
    flagged: pd.DataFrame = field(default_factory=pd.DataFrame)  # customers in two variants: id, variants
    notes: list[str] = field(default_factory=list)

    @property
    def srm_ok(self) -> bool:
        p = self.srm["p_value"]
        return bool(np.isnan(p) or p >= SRM_ALPHA)


def customer_metrics(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-customer metric values (repeat_rate is NaN for customers who had not ordered before assignment)."""
    out = frame.copy()
    out["conversion"] = (out["orders"] > 0).astype(float)
    out["orders_per_customer"] = out["orders"].astype(float)
    out["revenue_per_customer"] = out["revenue"].astype(float)
    out["repeat_rate"] = out["conversion"].where(out["orders_before"] > 0, np.nan)
    out["customer_type"] = customer_type(out)
    return out


def _pick_control(variants: list[str], control: str | None, experiment_id: str) -> str:
    wanted = control or DEFAULT_CONTROL
    if wanted not in variants:
        how = "" if control else " (choose one with --control or on the page)"
        raise InputError(f"experiment {experiment_id!r} has no variant named {wanted!r}{how}; "
                         f"its variants are: {', '.join(variants)}")
    return wanted


def _row(experiment_id: str, metric: str, variant: str, n: float, value: float, **rest) -> dict:
    row = dict.fromkeys(COLUMNS + EXTRA_COLUMNS, np.nan)
    row.update(experiment_id=experiment_id, metric=metric, variant=variant, customers=int(n), value=value,
               note="")
    row.update(rest)
    return row


def compare_rows(experiment_id: str, metric: str, values: dict[str, np.ndarray], control: str,
                 share: bool, alpha: float = 0.05) -> list[dict]:
    """Control row plus one row per treatment (lift, interval, p-value; Holm when more than one treatment)."""
    c = values[control]
    c_sum = stats.summarize(c)
    rows = [_row(experiment_id, metric, control, c_sum.n, float(c_sum.mean))]
    treat = [v for v in values if v != control]
    for variant in treat:
        res = stats.compare(values[variant], c, share=share, alpha=alpha)
        row = _row(experiment_id, metric, variant, res["n_t"], float(res["mean_t"]), lift=float(res["lift"]),
                   lift_rel=float(res["lift_rel"]))
        if min(res["n_t"], res["n_c"]) < MIN_CUSTOMERS:
            row["note"] = (f"too few customers to test ({int(res['n_t'])} in {variant}, {int(res['n_c'])} in "
                           f"{control}; need {MIN_CUSTOMERS} in each)")
        else:
            row.update(ci_low=float(res["ci_low"]), ci_high=float(res["ci_high"]), p_value=float(res["p_value"]),
                       rel_ci_low=float(res["rel_low"]), rel_ci_high=float(res["rel_high"]))
        rows.append(row)
    if len(treat) > 1:
        adjusted = stats.holm([r["p_value"] for r in rows[1:]])
        for r, p in zip(rows[1:], adjusted, strict=True):
            r["p_value_holm"] = float(p)
    return rows


def analyze_experiment(con, experiment_id: str, window_days: int = 30, pre_days: int = 180,
                       control: str | None = None, alpha: float = 0.05) -> ExperimentResult:
    """Analyse one experiment over a window of `window_days` after each customer's assignment."""
    data.require_experiment(con, experiment_id)
    raw = data.customer_window(con, experiment_id, window_days, pre_days)
    included, guards = data.split_guards(raw, data.data_end(con))
    single = raw[raw["n_variants"] == 1]
    variants_all = sorted(raw["variant"].unique().tolist())
    ctrl = _pick_control(variants_all, control, experiment_id)
    variants = [ctrl] + [v for v in variants_all if v != ctrl]
    cust = customer_metrics(included)
    notes: list[str] = []
    if guards.in_two_variants:
        notes.append(f"{guards.in_two_variants:,} customer(s) appear in more than one variant: flagged and excluded.")
    if guards.past_data_end:
        notes.append(f"{guards.past_data_end:,} customer(s) left out: their {window_days}-day window runs past the "
                     f"data's end ({guards.data_end}).")

    by_variant = {v: cust[cust["variant"] == v] for v in variants}
    rows: list[dict] = []
    for metric, share in METRICS.items():
        if metric == "revenue_per_customer_cuped":
            continue
        values = {v: f[metric].to_numpy(dtype=float) for v, f in by_variant.items()}
        rows += compare_rows(experiment_id, metric, values, ctrl, share, alpha)

    ys = [by_variant[v]["revenue"].to_numpy(dtype=float) for v in variants]
    xs = [by_variant[v]["pre_revenue"].to_numpy(dtype=float) for v in variants]
    if len(cust) >= 2:
        adjusted, theta, reduction = stats.cuped_adjust(ys, xs)
        theta, reduction = float(theta), float(reduction)
    else:
        adjusted, theta, reduction = ys, float("nan"), float("nan")
    cust["revenue_per_customer_cuped"] = np.nan
    for v, adj in zip(variants, adjusted, strict=True):
        cust.loc[cust["variant"] == v, "revenue_per_customer_cuped"] = adj
    rows += compare_rows(experiment_id, "revenue_per_customer_cuped", dict(zip(variants, adjusted, strict=True)),
                         ctrl, False, alpha)

    counts = {v: int((single["variant"] == v).sum()) for v in variants}
    planned = data.planned_split(con, experiment_id, variants)
    srm = stats.srm([counts[v] for v in variants], [planned[v] for v in variants])
    srm_p = float(srm["p_value"]) if sum(counts.values()) else float("nan")
    rows.append(_row(experiment_id, "srm", "", sum(counts.values()), float(srm["chi2"]), p_value=srm_p,
                     note="chi-square statistic in value; counts of customers assigned to one variant"))
    if not np.isnan(srm_p) and srm_p < SRM_ALPHA:
        notes.append(f"Sample ratio mismatch (p = {srm_p:.2g}): the split differs from the plan; results cannot "
                     "be trusted until the assignment is fixed.")
    for r in rows:
        if r["note"] and r["metric"] != "srm" and r["note"] not in notes:
            notes.append(r["note"])

    table = pd.DataFrame(rows, columns=COLUMNS + EXTRA_COLUMNS)
    table["customers"] = table["customers"].astype("int64")
    return ExperimentResult(
        experiment_id=experiment_id, control=ctrl, variants=variants, window_days=int(window_days),
        pre_days=int(pre_days), guards=guards, table=table,
        srm={"chi2": float(srm["chi2"]), "p_value": srm_p, "counts": counts, "planned": planned},
        cuped={"theta": theta, "variance_reduction": reduction}, customers=cust,
        flagged=raw.loc[raw["n_variants"] > 1, ["customer_id", "variants"]].reset_index(drop=True),
        notes=list(dict.fromkeys(notes)),
    )


def abtest_table(con, experiment_id: str | None = None, window_days: int = 30, pre_days: int = 180,
                 control: str | None = None) -> pd.DataFrame:
    """The CLI's CSV: one row per (experiment_id, metric, variant), exactly COLUMNS, all experiments by default."""
    data.check_days(window_days, pre_days)
    ids = data.require_experiment(con, experiment_id)
    frames = [analyze_experiment(con, e, window_days, pre_days, control).table[COLUMNS] for e in ids]
    return pd.concat(frames, ignore_index=True)


SEGMENT_METRICS = ("conversion", "revenue_per_customer")


def segment_table(con, result: ExperimentResult, metrics: tuple[str, ...] = SEGMENT_METRICS,
                  lookup=None, progress=None) -> tuple[pd.DataFrame, str]:
    """Exploratory lift by RFM segment at assignment and by new/returning customers, each with its interval.

    Returns the table and which RFM rules were used ('metrics': the Customers page's; 'experiments': ours).
    """
    rows: list[dict] = []
    cust = result.customers.copy()
    cust["rfm_segment"], source = rfm_at_assignment(cust, con, lookup, progress)
    for kind, col in (("rfm_segment", "rfm_segment"), ("customer_type", "customer_type")):
        if col not in cust:
            continue
        for segment in sorted(cust[col].dropna().unique()):
            part = cust[cust[col] == segment]
            for metric in metrics:
                values = {v: part.loc[part["variant"] == v, metric].to_numpy(dtype=float) for v in result.variants}
                ctrl, *treat = compare_rows(result.experiment_id, metric, values, result.control, METRICS[metric])
                for r in treat:
                    rows.append({"split": kind, "segment": segment, **r, "control_customers": ctrl["customers"],
                                 "control_value": ctrl["value"]})
    cols = ["split", "segment", "metric", "variant", "customers", "value", "control_customers", "control_value",
            "lift", "lift_rel", "ci_low", "ci_high", "p_value", "note"]
    return pd.DataFrame(rows, columns=cols), source


def cumulative(con, result: ExperimentResult) -> pd.DataFrame:
    """Per variant and day since assignment (0..W-1): cumulative conversion, orders and revenue per customer."""
    days = data.window_days_frame(con, result.experiment_id, result.window_days)
    cust = result.customers[["customer_id", "variant"]]
    days = days.merge(cust, on="customer_id", how="inner")
    grid = pd.MultiIndex.from_product([result.variants, range(result.window_days)], names=["variant", "day"])
    per_day = days.groupby(["variant", "day"])[["orders", "revenue"]].sum().reindex(grid, fill_value=0)
    first = days.groupby("customer_id").agg(variant=("variant", "first"), day=("day", "min"))
    converters = first.groupby(["variant", "day"]).size().reindex(grid, fill_value=0).rename("converters")
    out = per_day.join(converters).groupby(level="variant").cumsum().reset_index()
    n = cust.groupby("variant").size().reindex(result.variants, fill_value=0)
    out["customers"] = out["variant"].map(n).astype("int64")
    denom = out["customers"].where(out["customers"] > 0)
    out["conversion"] = out["converters"] / denom
    out["orders_per_customer"] = out["orders"] / denom
    out["revenue_per_customer"] = out["revenue"] / denom
    return out[["variant", "day", "customers", "conversion", "orders_per_customer", "revenue_per_customer"]]
