"""The manager metrics computed with pandas from the definitions of issue 4 (the baseline of bench_scale).

Written the way a data person would in a notebook, after the approach of the independent oracle in
tests/test_metrics_retail.py (copied, not imported), for the whole data (no filters). Every function starts from
the order lines, as the SQL starts from the `order_lines` table: valid line = quantity > 0, unit_price > 0, status
not cancelled/returned; order = order id with a valid line, time = earliest valid line, revenue = sum(q x p).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LINE_COLUMNS = "order_id, customer_id, ordered_at, quantity, unit_price, status"


def load_lines(con) -> pd.DataFrame:
    """The warehouse's order lines as a DataFrame (not timed: a notebook would read them once)."""
    return con.execute(f"SELECT {LINE_COLUMNS} FROM order_lines").df()


def _orders(lines: pd.DataFrame) -> pd.DataFrame:
    valid = lines[(lines["quantity"] > 0) & (lines["unit_price"] > 0)
                  & ~lines["status"].isin(["cancelled", "returned"])]
    valid = valid.assign(value=valid["quantity"] * valid["unit_price"])
    return (valid.groupby("order_id", sort=False)
            .agg(customer=("customer_id", "first"), ts=("ordered_at", "min"), revenue=("value", "sum"))
            .reset_index())


def _period(ts: pd.Series, grain: str) -> pd.Series:
    return ts.dt.to_period("M" if grain == "month" else "W-SUN").dt.start_time


def _offset(cohort: pd.Series, period: pd.Series, grain: str) -> pd.Series:
    if grain == "month":
        return (period.dt.year * 12 + period.dt.month) - (cohort.dt.year * 12 + cohort.dt.month)
    return (period - cohort).dt.days // 7


def summary(lines: pd.DataFrame) -> dict:
    o = _orders(lines)
    per = o[o["customer"].notna()].groupby("customer")["revenue"].agg(["size", "sum"])
    gone = lines[lines["status"].isin(["cancelled", "returned"])]
    gone_value = (gone["quantity"] * gone["unit_price"]).abs().sum()
    return {"orders": len(o), "customers": len(per), "repeat_customers": int((per["size"] >= 2).sum()),
            "repurchase_rate": (per["size"] >= 2).mean(), "revenue": o["revenue"].sum(),
            "net_revenue": o["revenue"].sum() - gone_value, "aov": o["revenue"].mean(),
            "revenue_per_customer": per["sum"].mean(), "first": o["ts"].min(), "last": o["ts"].max()}


def retention(lines: pd.DataFrame, grain: str) -> pd.DataFrame:
    o = _orders(lines)
    end = o["ts"].max()
    o = o[o["customer"].notna()]
    firsts = o.groupby("customer")["ts"].min()
    cohort = _period(firsts, grain)
    o = o.assign(cohort=o["customer"].map(cohort))
    o["period"] = _offset(o["cohort"], _period(o["ts"], grain), grain)
    cells = o.groupby(["cohort", "period"]).agg(customers=("customer", "nunique"), revenue=("revenue", "sum"))
    sizes = cohort.value_counts().rename("cohort_size")
    last = _period(pd.Series([end]), grain).iloc[0]
    grid = pd.DataFrame({"cohort": sizes.index})
    grid["n"] = _offset(grid["cohort"], pd.Series(last, index=grid.index), grain) + 1
    grid = grid.loc[grid.index.repeat(grid["n"])]
    grid["period"] = grid.groupby("cohort").cumcount()
    out = grid.join(sizes, on="cohort").join(cells, on=["cohort", "period"]).fillna({"customers": 0, "revenue": 0.0})
    out["retention"] = out["customers"] / out["cohort_size"]
    rev0 = cells.xs(0, level="period")["revenue"]
    out["revenue_retention"] = out["revenue"] / out["cohort"].map(rev0)
    step = pd.DateOffset(months=1) if grain == "month" else pd.Timedelta(days=7)
    if grain == "month":
        nxt = [c + pd.DateOffset(months=int(k) + 1) for c, k in zip(out["cohort"], out["period"], strict=True)]
        out["complete"] = pd.Series(nxt, index=out.index) <= end
    else:
        out["complete"] = out["cohort"] + pd.to_timedelta(7 * out["period"], "D") + step <= end
    return out.reset_index(drop=True)


def repurchase(lines: pd.DataFrame, grain: str) -> pd.DataFrame:
    o = _orders(lines)
    o = o[o["customer"].notna()]
    firsts = o.groupby("customer")["ts"].min()
    active = pd.DataFrame({"customer": o["customer"], "period": _period(o["ts"], grain)}).drop_duplicates()
    active["returning"] = active["customer"].map(firsts) < active["period"]
    out = active.groupby("period").agg(customers=("customer", "size"), returning_customers=("returning", "sum"))
    if len(out):  # every period from the first to the last, a period without orders as zeros
        out = out.reindex(pd.date_range(out.index.min(), out.index.max(),
                                        freq="MS" if grain == "month" else "7D"), fill_value=0)
        out.index.name = "period"
    out["new_customers"] = out["customers"] - out["returning_customers"]
    out["returning_rate"] = out["returning_customers"] / out["customers"].where(out["customers"] > 0)
    return out.reset_index()


def pairs(lines: pd.DataFrame, grain: str = "month") -> pd.DataFrame:
    """Per customer: first and second order by (time, order id) and the days between them."""
    o = _orders(lines)
    known = o[o["customer"].notna()].sort_values(["customer", "ts", "order_id"])
    known["n"] = known.groupby("customer").cumcount() + 1
    first = known[known["n"] == 1].set_index("customer")
    second = known[known["n"] == 2].set_index("customer")
    out = pd.DataFrame({"first_order_id": first["order_id"], "first_at": first["ts"]})
    out["second_order_id"] = second["order_id"].reindex(out.index)
    out["second_at"] = second["ts"].reindex(out.index)
    out["days_to_second"] = (out["second_at"] - out["first_at"]).dt.total_seconds() / 86400
    out["cohort"] = _period(out["first_at"], grain)
    return out


def repeat_within(lines: pd.DataFrame, days: list[float]) -> pd.DataFrame:
    end = _orders(lines)["ts"].max()
    p = pairs(lines)
    g = p.groupby("cohort")
    out = g.agg(customers=("first_at", "size"), last_first=("first_at", "max"))
    for d in days:
        out[f"within_{d:g}"] = (p["days_to_second"] <= d).groupby(p["cohort"]).mean()
    for d in days:
        out[f"complete_{d:g}"] = out["last_first"] + pd.Timedelta(days=d) <= end
    return out.drop(columns="last_first").reset_index()


def time_to_second_median(lines: pd.DataFrame) -> pd.DataFrame:
    p = pairs(lines)
    per = p.groupby("cohort")["days_to_second"].agg(customers="size", with_second="count", median_days="median")
    overall = pd.DataFrame({"customers": [len(p)], "with_second": [p["days_to_second"].count()],
                            "median_days": [p["days_to_second"].median()]}, index=[pd.NaT])
    return pd.concat([per, overall])


def rfm(lines: pd.DataFrame) -> pd.DataFrame:
    o = _orders(lines)
    day = o["ts"].max().normalize()
    known = o[o["customer"].notna()]
    c = known.groupby("customer").agg(last=("ts", "max"), frequency=("ts", "size"), monetary=("revenue", "sum"))
    c["recency_days"] = (day - c["last"].dt.normalize()).dt.days
    n = len(c)

    def score(rank: pd.Series) -> np.ndarray:
        return (1 + np.floor(5 * (rank.to_numpy() - 1) / n)).astype(int)

    r = score(c["recency_days"].rank(method="min", ascending=False))
    f = score(c["frequency"].rank(method="min"))
    c["r_score"], c["f_score"] = r, f
    c["m_score"] = score(c["monetary"].round(4).rank(method="min"))
    rules = [((r >= 4) & (f >= 4), "Champions"), ((r == 3) & (f >= 3), "Loyal"),
             ((r >= 3) & np.isin(f, (2, 3)), "Potential loyalists"), ((r >= 4) & (f == 1), "New"),
             ((r <= 2) & (f == 5), "Can't lose them"), ((r <= 2) & np.isin(f, (3, 4)), "At risk"),
             (np.isin(r, (2, 3)) & (f <= 2), "Hibernating")]
    c["segment"] = np.select([m for m, _ in rules], [s for _, s in rules], default="Lost")
    return c.reset_index()
