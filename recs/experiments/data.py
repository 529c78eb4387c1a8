"""Per-customer window metrics for an experiment, straight from the warehouse (SQL, bound parameters).

For each customer assigned in an experiment: orders and revenue in the window
assigned_at <= ordered_at < assigned_at + W days, revenue in the D days before assignment (CUPED's
covariate), and their history before assignment (returning or new, RFM inputs). Guest orders (no
customer id) never count. Customers with no orders at all get zeros: they are real non-buyers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from recs import db, sql
from recs.errors import InputError, NotFound


@dataclass(frozen=True)
class Guards:
    """What was left out of an experiment's analysis, and why."""

    assigned: int            # distinct customers in the assignments of this experiment
    in_two_variants: int     # flagged and excluded: a customer in more than one variant
    past_data_end: int       # excluded: assigned_at + W days is later than the data's end
    included: int            # analysed
    data_end: pd.Timestamp | None


def check_days(window_days: int, pre_days: int) -> None:
    """InputError unless both the window and the pre-period are positive whole numbers of days."""
    if int(window_days) != window_days or window_days <= 0:
        raise InputError(f"--window-days must be a positive whole number of days, got {window_days}")
    if int(pre_days) != pre_days or pre_days <= 0:
        raise InputError(f"--pre-days must be a positive whole number of days, got {pre_days}")


def experiment_ids(con) -> list[str]:
    """Every experiment id in `assignments`, sorted (empty when there are none or no schema)."""
    if not db.has_schema(con):
        return []
    rows = sql.run(con, "experiments/experiment_ids").fetchall()
    return [r[0] for r in rows]


def variants(con, experiment_id: str) -> list[str]:
    """The variants of one experiment, sorted."""
    rows = sql.run(con, "experiments/variants", [experiment_id]).fetchall()
    return [r[0] for r in rows]


def require_experiment(con, experiment_id: str | None) -> list[str]:
    """The experiment ids to analyse: all, or the one asked for. Raises when there is nothing to analyse."""
    known = experiment_ids(con)
    if not known:
        raise InputError("the database has no experiment assignments (table `assignments` is empty); "
                         "import an assignments file first, e.g. `python -m recs import --assignments FILE`")
    if experiment_id is None:
        return known
    if experiment_id not in known:
        raise NotFound(f"unknown experiment id {experiment_id!r}; known experiments: {', '.join(known)}")
    return [experiment_id]


def data_end(con) -> pd.Timestamp | None:
    """The data's end: the latest order time (None without orders)."""
    value = sql.run(con, "experiments/data_end").fetchone()[0]
    return None if value is None else pd.Timestamp(value)


def customer_window(con, experiment_id: str, window_days: int = 30, pre_days: int = 180) -> pd.DataFrame:
    """One row per assigned customer: variant, window orders/revenue, pre-period revenue, history flags.

    Columns: customer_id, variant, n_variants, variants (all of them, comma-separated), assigned_at,
    complete (window inside the data),
    orders, revenue, pre_revenue, orders_before, revenue_before, last_order_before.
    """
    check_days(window_days, pre_days)
    params = {"exp": experiment_id, "w": int(window_days), "pre": int(pre_days)}
    frame = sql.frame(con, "experiments/customer_window", params)
    frame["orders"] = frame["orders"].astype("int64")
    frame["orders_before"] = frame["orders_before"].astype("int64")
    for col in ("revenue", "pre_revenue", "revenue_before"):
        frame[col] = frame[col].astype("float64")
    frame["complete"] = frame["complete"].astype(bool)
    return frame


def split_guards(frame: pd.DataFrame, end: pd.Timestamp | None) -> tuple[pd.DataFrame, Guards]:
    """Leave out customers in two variants, then customers whose window runs past the data's end; count both."""
    two = frame["n_variants"] > 1
    single = frame[~two]
    past = ~single["complete"]
    included = single[~past].reset_index(drop=True)
    guards = Guards(assigned=len(frame), in_two_variants=int(two.sum()), past_data_end=int(past.sum()),
                    included=len(included), data_end=end)
    return included, guards


def window_days_frame(con, experiment_id: str, window_days: int) -> pd.DataFrame:
    """Orders and revenue per (customer, whole day since assignment) inside the window."""
    check_days(window_days, 1)
    frame = sql.frame(con, "experiments/window_days", {"exp": experiment_id, "w": int(window_days)})
    frame["revenue"] = frame["revenue"].astype("float64")
    return frame


def planned_split(con, experiment_id: str, variants: list[str]) -> dict[str, float]:
    """The planned share of each variant: recorded by a holdout export, else equal."""
    rows = sql.run(con, "experiments/holdout_reports").fetchall()
    for (report,) in rows:
        try:
            info = json.loads(report or "{}")
        except ValueError:
            continue
        if info.get("experiment_id") == experiment_id and isinstance(info.get("planned_split"), dict):
            split = {v: float(info["planned_split"].get(v, 0.0)) for v in variants}
            if sum(split.values()) > 0:
                return split
    return {v: 1.0 / len(variants) for v in variants}
