"""Every metric on the real Online Retail file: SQL (on the imported `retail_db`) versus an independent
pandas computation that reads the raw parquet and applies the definitions of issue 4 itself.

The pandas side is written from the definitions, not from our SQL: cancellation = InvoiceNo starting with
"C"; customer id float -> str(int); valid line = quantity > 0, price > 0, not cancelled; an order is an
invoice with a valid line, its time the earliest valid line, its revenue the sum of quantity x price.
`bench/bench_metrics.py` times these same functions against the SQL.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from recs import metrics
from recs.db import connect
from recs.metrics import Filters

RATE_TOL = 1e-9
MONEY_TOL = 0.01
SEGMENT_RULES = [  # (name, rule on r and f scores), first match wins — as written in docs/metrics.md
    ("Champions", lambda r, f: r >= 4 and f >= 4),
    ("Loyal", lambda r, f: r == 3 and f >= 3),
    ("Potential loyalists", lambda r, f: r >= 3 and f in (2, 3)),
    ("New", lambda r, f: r >= 4 and f == 1),
    ("Can't lose them", lambda r, f: r <= 2 and f == 5),
    ("At risk", lambda r, f: r <= 2 and f in (3, 4)),
    ("Hibernating", lambda r, f: r in (2, 3) and f <= 2),
    ("Lost", lambda r, f: True),
]


# ----------------------------------------------------------------------------------------- pandas oracle
def load_raw(path) -> pd.DataFrame:
    """The raw Online Retail lines with the definitions' derived columns."""
    raw = pd.read_parquet(path)
    raw["ts"] = pd.to_datetime(raw["InvoiceDate"])
    ids = raw["CustomerID"]
    raw["customer"] = pd.Series(
        np.where(ids.isna(), None, ids.fillna(0).astype("int64").astype(str)), index=raw.index, dtype=object)
    raw["cancelled"] = raw["InvoiceNo"].astype(str).str.startswith("C")
    raw["value"] = raw["Quantity"] * raw["UnitPrice"]
    raw["valid"] = (raw["Quantity"] > 0) & (raw["UnitPrice"] > 0) & ~raw["cancelled"]
    return raw


class Oracle:
    """The definitions applied with pandas to the raw lines, for one filter (country and/or date window)."""

    def __init__(self, raw: pd.DataFrame, start=None, end=None, country=None):
        self.start = pd.Timestamp(start) if start else None
        self.end = pd.Timestamp(end) if end else None
        valid_all = raw[raw["valid"]]
        before_end = valid_all if self.end is None else valid_all[valid_all["ts"] < self.end]
        self.data_end = before_end["ts"].max()  # whole data, every country: where observation stops
        lines = raw if country is None else raw[raw["Country"] == country]
        self.lines = lines
        valid = lines[lines["valid"]]
        self.orders = (valid.groupby("InvoiceNo")
                       .agg(customer=("customer", "first"), ts=("ts", "min"), revenue=("value", "sum"))
                       .reset_index())
        self.window = self.orders[self.in_window(self.orders["ts"])]
        known = self.orders[self.orders["customer"].notna()]
        self.firsts = known.groupby("customer")["ts"].min()

    def in_window(self, ts: pd.Series) -> pd.Series:
        keep = pd.Series(True, index=ts.index)
        if self.start is not None:
            keep &= ts >= self.start
        if self.end is not None:
            keep &= ts < self.end
        return keep

    @staticmethod
    def period(ts, grain):
        return ts.dt.to_period("M" if grain == "month" else "W-SUN").dt.start_time

    @staticmethod
    def offset(cohort, period, grain):
        if grain == "month":
            return (period.dt.year * 12 + period.dt.month) - (cohort.dt.year * 12 + cohort.dt.month)
        return (period - cohort).dt.days // 7

    @staticmethod
    def next_start(start: pd.Timestamp, grain) -> pd.Timestamp:
        return start + (pd.DateOffset(months=1) if grain == "month" else pd.Timedelta(days=7))

    def summary(self) -> dict:
        o = self.window
        known = o[o["customer"].notna()]
        per = known.groupby("customer")["revenue"].agg(["size", "sum"])
        gone = self.lines[self.lines["cancelled"] & self.in_window(self.lines["ts"])]
        return {
            "orders": len(o), "customers": len(per), "repeat_customers": int((per["size"] >= 2).sum()),
            "repurchase_rate": (per["size"] >= 2).mean(), "revenue": o["revenue"].sum(),
            "net_revenue": o["revenue"].sum() - gone["value"].abs().sum(), "aov": o["revenue"].mean(),
            "revenue_per_customer": per["sum"].mean(),
            "first_order_at": o["ts"].min().normalize(), "last_order_at": o["ts"].max().normalize(),
        }

    def members(self) -> pd.Series:
        """First order ever of the customers whose first order falls in the window."""
        f = self.firsts
        return f[self.in_window(f)]

    def retention(self, grain: str) -> pd.DataFrame:
        members = self.members()
        cohort = self.period(members, grain).rename("cohort")
        o = self.window[self.window["customer"].isin(members.index)].copy()
        o["cohort"] = o["customer"].map(cohort)
        o["period"] = self.offset(o["cohort"], self.period(o["ts"], grain), grain)
        cells = o.groupby(["cohort", "period"]).agg(customers=("customer", "nunique"), revenue=("revenue", "sum"))
        last = self.period(pd.Series([self.data_end]), grain).iloc[0]
        rows = []
        for c, size in cohort.value_counts().sort_index().items():
            n = int(self.offset(pd.Series([c]), pd.Series([last]), grain).iloc[0])
            rev0 = cells.loc[(c, 0), "revenue"]
            for k in range(n + 1):
                cust, rev = (cells.loc[(c, k)] if (c, k) in cells.index else (0, 0.0))
                start_k = c + (pd.DateOffset(months=k) if grain == "month" else pd.Timedelta(days=7 * k))
                rows.append({"cohort": c, "period": k, "cohort_size": size, "customers": int(cust),
                             "retention": cust / size, "revenue": rev, "revenue_retention": rev / rev0,
                             "complete": self.next_start(start_k, grain) <= self.data_end})
        return pd.DataFrame(rows)

    def repurchase(self, grain: str) -> pd.DataFrame:
        o = self.window[self.window["customer"].notna()].copy()
        o["period"] = self.period(o["ts"], grain)
        active = o[["customer", "period"]].drop_duplicates()
        active["returning"] = active["customer"].map(self.firsts) < active["period"]
        out = active.groupby("period").agg(customers=("customer", "size"), returning_customers=("returning", "sum"))
        if len(out):  # every period from the first to the last, a period without orders as zeros
            out = out.reindex(pd.date_range(out.index.min(), out.index.max(),
                                            freq="MS" if grain == "month" else "7D"), fill_value=0)
            out.index.name = "period"
        out["new_customers"] = out["customers"] - out["returning_customers"]
        out["returning_rate"] = out["returning_customers"] / out["customers"].where(out["customers"] > 0)
        return out.reset_index()

    def pairs(self, grain: str) -> pd.DataFrame:
        """Per member: first and second order by (time, order id); the second only if before the window end."""
        known = self.orders[self.orders["customer"].notna()].sort_values(["customer", "ts", "InvoiceNo"])
        known["n"] = known.groupby("customer").cumcount() + 1
        first = known[known["n"] == 1].set_index("customer")
        second = known[known["n"] == 2].set_index("customer")
        if self.end is not None:
            second = second[second["ts"] < self.end]
        members = self.members()
        out = pd.DataFrame({"first_order_id": first.loc[members.index, "InvoiceNo"], "first_at": members})
        out["second_order_id"] = second["InvoiceNo"].reindex(out.index)
        out["second_at"] = second["ts"].reindex(out.index)
        out["days_to_second"] = (out["second_at"] - out["first_at"]).dt.total_seconds() / 86400
        out["cohort"] = self.period(out["first_at"], grain)
        return out

    def repeat_within(self, days, grain: str = "month") -> pd.DataFrame:
        p = self.pairs(grain)
        rows = []
        for c, g in p.groupby("cohort"):
            row = {"cohort": c, "customers": len(g)}
            for d in days:
                row[f"within_{d}"] = (g["days_to_second"] <= d).mean()
            for d in days:
                row[f"complete_{d}"] = g["first_at"].max() + pd.Timedelta(days=d) <= self.data_end
            rows.append(row)
        return pd.DataFrame(rows)

    def time_to_second_median(self, grain: str = "month") -> pd.DataFrame:
        p = self.pairs(grain)
        per = p.groupby("cohort")["days_to_second"].agg(customers="size", with_second="count", median_days="median")
        overall = pd.DataFrame({"customers": [len(p)], "with_second": [p["days_to_second"].count()],
                                "median_days": [p["days_to_second"].median()]}, index=[pd.NaT])
        return pd.concat([per, overall]).rename_axis("cohort").reset_index()

    def rfm(self, as_of=None) -> pd.DataFrame:
        known = self.window[self.window["customer"].notna()]
        c = known.groupby("customer").agg(last=("ts", "max"), frequency=("ts", "size"), monetary=("revenue", "sum"))
        day = pd.Timestamp(as_of) if as_of else self.data_end.normalize()
        c["recency_days"] = (day - c["last"].dt.normalize()).dt.days
        n = len(c)

        def score(rank):
            return (1 + np.floor(5 * (rank - 1) / n)).astype(int)

        c["r_score"] = score(c["recency_days"].rank(method="min", ascending=False))
        c["f_score"] = score(c["frequency"].rank(method="min"))
        c["m_score"] = score(c["monetary"].round(4).rank(method="min"))
        c["segment"] = [next(name for name, rule in SEGMENT_RULES if rule(r, f))
                        for r, f in zip(c["r_score"], c["f_score"], strict=True)]
        return c.rename_axis("customer_id").reset_index()


# ----------------------------------------------------------------------------------------- comparison
def _norm(values: pd.Series) -> list:
    """Keys as comparable Python values: dates as Timestamps, numbers as ints, ids as text."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return list(pd.to_datetime(values))
    if pd.api.types.is_integer_dtype(values):
        return [int(v) for v in values]
    return [str(v) for v in values]


def assert_same(sql: pd.DataFrame, ref: pd.DataFrame, keys: list[str], rates=(), money=(), exact=()):
    assert len(sql) == len(ref), f"row counts differ: sql {len(sql)} vs pandas {len(ref)}"
    a = sql.sort_values(keys).reset_index(drop=True)
    b = ref.sort_values(keys).reset_index(drop=True)
    for k in keys:
        assert _norm(a[k]) == _norm(b[k]), k
    for col in exact:
        bad = (a[col].astype(object) != b[col].astype(object)) & ~(a[col].isna() & b[col].isna())
        assert not bad.any(), f"{col}: first mismatch sql={a.loc[bad, col].iloc[0]} pandas={b.loc[bad, col].iloc[0]}"
    for cols, tol in ((rates, RATE_TOL), (money, MONEY_TOL)):
        for col in cols:
            x, y = a[col].astype(float).to_numpy(), b[col].astype(float).to_numpy()
            both_nan = np.isnan(x) & np.isnan(y)
            diff = np.where(both_nan, 0.0, np.abs(x - y))
            assert not np.isnan(diff).any() and diff.max(initial=0.0) <= tol, f"{col}: max diff {np.nanmax(diff)}"


FILTERS = {
    "all": {},
    "france-window": {"start": dt.date(2011, 3, 1), "end": dt.date(2011, 9, 1), "country": "France"},
    "uk-from-june": {"start": dt.date(2011, 6, 1), "country": "United Kingdom"},
}


@pytest.fixture(scope="module")
def raw():
    from tests.conftest import RETAIL_PARQUET

    return load_raw(RETAIL_PARQUET)


@pytest.fixture(scope="module")
def con(retail_db):
    connection = connect(retail_db)
    yield connection
    connection.close()


@pytest.fixture(scope="module", params=list(FILTERS))
def case(request, raw, con):
    spec = FILTERS[request.param]
    return con, Filters(**spec), Oracle(raw, **spec)


def test_online_retail_repurchase_rate_matches_readme(con):
    s = metrics.summary(con).iloc[0]
    assert s["customers"] == 4338
    assert round(s["repurchase_rate"] * 100, 1) == 65.6


def test_summary(case):
    con, filters, oracle = case
    sql = metrics.summary(con, filters).iloc[0].to_dict()
    ref = oracle.summary()
    for col in ("orders", "customers", "repeat_customers"):
        assert sql[col] == ref[col], col
    assert abs(sql["repurchase_rate"] - ref["repurchase_rate"]) <= RATE_TOL
    for col in ("revenue", "net_revenue", "aov", "revenue_per_customer"):
        assert abs(sql[col] - ref[col]) <= MONEY_TOL, col
    assert pd.Timestamp(sql["first_order_at"]) == ref["first_order_at"]
    assert pd.Timestamp(sql["last_order_at"]) == ref["last_order_at"]


@pytest.mark.parametrize("grain", ["month", "week"])
def test_retention(case, grain):
    con, filters, oracle = case
    assert_same(metrics.retention(con, grain, filters), oracle.retention(grain), ["cohort", "period"],
                rates=["retention", "revenue_retention"], money=["revenue"],
                exact=["cohort_size", "customers", "complete"])


@pytest.mark.parametrize("grain", ["month", "week"])
def test_repurchase(case, grain):
    con, filters, oracle = case
    assert_same(metrics.repurchase(con, grain, filters), oracle.repurchase(grain), ["period"],
                rates=["returning_rate"], exact=["customers", "new_customers", "returning_customers"])


def test_repeat_within(case):
    con, filters, oracle = case
    days = [30, 60, 90]
    assert_same(metrics.repeat_within(con, days, filters), oracle.repeat_within(days), ["cohort"],
                rates=[f"within_{d}" for d in days], exact=["customers", *[f"complete_{d}" for d in days]])


def test_time_to_second(case):
    con, filters, oracle = case
    sql = metrics.time_to_second(con, filters).set_index("customer_id").sort_index()
    ref = oracle.pairs("month").sort_index()
    assert list(sql.index) == list(ref.index)
    assert (sql["first_order_id"] == ref["first_order_id"]).all()
    assert sql["second_order_id"].fillna("-").tolist() == ref["second_order_id"].fillna("-").tolist()
    x, y = sql["days_to_second"].to_numpy(float), ref["days_to_second"].to_numpy(float)
    assert np.array_equal(np.isnan(x), np.isnan(y)) and np.nanmax(np.abs(x - y), initial=0) <= RATE_TOL
    hist = metrics.time_to_second_days(con, filters)
    ref_hist = np.floor(ref["days_to_second"].dropna()).astype(int).value_counts().sort_index()
    assert hist["days"].tolist() == ref_hist.index.tolist() and hist["customers"].tolist() == ref_hist.tolist()
    med = metrics.time_to_second_median(con, filters)
    ref_med = oracle.time_to_second_median()
    assert len(med) == len(ref_med)
    for (_, a), (_, b) in zip(med.iterrows(), ref_med.iterrows(), strict=True):
        assert (pd.isna(a["cohort"]) and pd.isna(b["cohort"])) or pd.Timestamp(a["cohort"]) == b["cohort"]
        assert (a["customers"], a["with_second"]) == (b["customers"], b["with_second"])
        assert (pd.isna(a["median_days"]) and pd.isna(b["median_days"])) or \
            math.isclose(a["median_days"], b["median_days"], abs_tol=RATE_TOL)


def test_rfm(case):
    con, filters, oracle = case
    assert_same(metrics.rfm(con, filters), oracle.rfm(), ["customer_id"], money=["monetary"],
                exact=["recency_days", "frequency", "r_score", "f_score", "m_score", "segment"])
