"""The observed LTV curve (metric `ltv`): hand-computed cases and a pandas cross-check on the demo shop."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from recs import metrics
from recs.db import connect, refresh_derived
from recs.metrics.ltv import LTV_COLUMNS, observed_ltv


def shop(tmp_path, rows) -> object:
    """A warehouse with (order id, customer, time, revenue) orders of one line each."""
    con = connect(tmp_path / "ltv.duckdb")
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "unit_price"])
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"])
    con.register("src", frame)
    con.execute("INSERT INTO order_lines SELECT order_id, 1, customer_id, ordered_at, 'P', 1.0, unit_price, "
                "'completed', 'UK', 1 FROM src")
    refresh_derived(con)
    return con


def test_customer_who_skips_months_and_comes_back(tmp_path):
    """docs/metrics.md's worked example: A 10 on Jan 10 and 40 on Apr 10; B 20 on Jan 20 and 30 on Feb 5."""
    con = shop(tmp_path, [("1", "A", "2024-01-10", 10.0), ("2", "A", "2024-04-10", 40.0),
                          ("3", "B", "2024-01-20", 20.0), ("4", "B", "2024-02-05", 30.0)])
    frame = observed_ltv(con)
    assert list(frame.columns) == LTV_COLUMNS
    assert frame["period"].tolist() == [0, 1, 2, 3]
    assert frame["cumulative_revenue"].tolist() == [30.0, 60.0, 60.0, 100.0]
    assert frame["ltv"].tolist() == [15.0, 30.0, 30.0, 50.0]
    assert frame["complete"].tolist() == [True, True, True, False]
    con.close()


def test_two_cohorts_a_window_and_a_country_filter(tmp_path):
    con = shop(tmp_path, [("1", "A", "2024-01-10", 10.0), ("2", "B", "2024-02-01", 5.0),
                          ("3", "B", "2024-03-01", 7.0), ("4", "A", "2024-03-15", 1.0)])
    frame = observed_ltv(con).set_index(["cohort", "period"])
    assert frame.loc[(pd.Timestamp("2024-02-01"), 1), "ltv"] == 12.0
    assert frame.loc[(pd.Timestamp("2024-01-01"), 2), "ltv"] == 11.0
    # a window ending before March drops March's orders, and cohorts start inside it only
    windowed = observed_ltv(con, "month", metrics.Filters(start=dt.date(2024, 2, 1), end=dt.date(2024, 3, 1)))
    assert windowed["cohort"].nunique() == 1 and windowed["cumulative_revenue"].iloc[-1] == 5.0
    assert observed_ltv(con, "month", metrics.Filters(country="FR")).empty
    assert metrics.csv_bytes("ltv", observed_ltv(con)).startswith(
        b"cohort,period,cohort_size,revenue,cumulative_revenue,ltv,complete\n")
    con.close()


@pytest.mark.parametrize("grain", ["month", "week"])
def test_ltv_agrees_with_pandas_on_the_demo_shop(demo_db, grain):
    con = connect(demo_db)
    try:
        ours = observed_ltv(con, grain)
        orders = con.execute("SELECT customer_id, ordered_at, revenue FROM orders WHERE customer_id IS NOT NULL").df()
    finally:
        con.close()
    first = orders.groupby("customer_id")["ordered_at"].transform("min")
    cohort = first.dt.to_period("M" if grain == "month" else "W-SUN").dt.start_time
    period = orders["ordered_at"].dt.to_period("M" if grain == "month" else "W-SUN").dt.start_time
    steps = ((period.dt.year - cohort.dt.year) * 12 + period.dt.month - cohort.dt.month if grain == "month"
             else (period - cohort).dt.days // 7)
    sizes = orders.assign(cohort=cohort).groupby("cohort")["customer_id"].nunique()
    cells = orders.assign(cohort=cohort, period=steps).groupby(["cohort", "period"])["revenue"].sum()
    table = ours.set_index(["cohort", "period"])
    assert (table["cohort_size"].groupby(level=0).first().reindex(sizes.index) == sizes).all()
    got = table["revenue"].reindex(cells.index)
    assert got.to_numpy() == pytest.approx(cells.to_numpy(), rel=1e-9)
    cumulative = table.groupby(level=0)["revenue"].cumsum() / table["cohort_size"]
    assert table["ltv"].to_numpy() == pytest.approx(cumulative.to_numpy(), rel=1e-9)
    assert table["revenue"].sum() == pytest.approx(orders["revenue"].sum(), rel=1e-9)
