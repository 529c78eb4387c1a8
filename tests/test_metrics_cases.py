"""Hand-computed small cases for every metric: tiny real DuckDB files, expected values worked out by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from recs import metrics
from recs.db import connect, refresh_derived
from recs.metrics import Filters

D = dt.date


def make_db(tmp_path, lines, products=()):
    """lines: (order_id, customer_id|None, 'YYYY-MM-DD HH:MM:SS', product_id, qty, price[, status[, country]])."""
    con = connect(tmp_path / "cases.duckdb")
    for n, line in enumerate(lines, start=1):
        order_id, customer_id, at, product_id, qty, price, *rest = line
        status = rest[0] if rest else "completed"
        country = rest[1] if len(rest) > 1 else "United Kingdom"
        con.execute("INSERT INTO order_lines VALUES (?, ?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, 1)",
                    [order_id, n, customer_id, at, product_id, qty, price, status, country])
    refresh_derived(con)
    for product_id, category in products:
        con.execute("INSERT INTO products (product_id, name, category) VALUES (?, ?, ?)", [product_id, product_id, category])
    return con


def one(frame: pd.DataFrame) -> dict:
    assert len(frame) == 1
    return frame.iloc[0].to_dict()


def test_two_orders_same_day_by_one_customer(tmp_path):
    con = make_db(tmp_path, [
        ("o1", "A", "2024-03-05 09:00:00", "p", 2, 10.0),
        ("o2", "A", "2024-03-05 15:00:00", "p", 1, 5.0),
        ("o3", "B", "2024-03-10 10:00:00", "p", 1, 20.0),
    ])
    s = one(metrics.summary(con))
    assert (s["orders"], s["customers"], s["repeat_customers"]) == (3, 2, 1)
    assert s["repurchase_rate"] == pytest.approx(0.5)
    assert s["revenue"] == pytest.approx(45.0) and s["aov"] == pytest.approx(15.0)
    assert s["revenue_per_customer"] == pytest.approx(22.5)
    t = metrics.time_to_second(con).set_index("customer_id")
    assert t.loc["A", "days_to_second"] == pytest.approx(0.25)
    assert t.loc["A", "second_order_id"] == "o2" and pd.isna(t.loc["B", "days_to_second"])
    r = one(metrics.repeat_within(con))
    assert r["customers"] == 2 and r["within_30"] == pytest.approx(0.5)
    # B's first order (2024-03-10 10:00) + 30 days runs past the data end (the same instant)
    assert not bool(r["complete_30"])
    ret = one(metrics.retention(con, "month"))
    assert (ret["cohort_size"], ret["customers"], ret["retention"], ret["revenue"]) == (2, 2, 1.0, 45.0)
    rep = one(metrics.repurchase(con, "month"))
    assert (rep["customers"], rep["new_customers"], rep["returning_customers"]) == (2, 2, 0)


def test_a_period_without_orders_is_listed_with_zeros(tmp_path):
    # A orders in January and March, nobody in February: February is a row of zeros with no returning rate
    con = make_db(tmp_path, [
        ("o1", "A", "2024-01-10 10:00:00", "p", 1, 10.0),
        ("o2", "A", "2024-03-05 10:00:00", "p", 1, 10.0),
    ])
    rep = metrics.repurchase(con, "month").set_index("period")
    assert list(rep.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")]
    feb = rep.loc[pd.Timestamp("2024-02-01")]
    assert (feb["customers"], feb["new_customers"], feb["returning_customers"]) == (0, 0, 0)
    assert pd.isna(feb["returning_rate"])
    assert rep.loc[pd.Timestamp("2024-03-01"), "returning_rate"] == 1.0
    weeks = metrics.repurchase(con, "week")  # Monday 2024-01-08 to Monday 2024-03-04: nine weeks
    assert len(weeks) == 9 and weeks["customers"].sum() == 2 and weeks["returning_rate"].isna().sum() == 7


def test_last_second_of_month_then_first_second_of_next(tmp_path):
    con = make_db(tmp_path, [
        ("o1", "A", "2024-01-31 23:59:59", "p", 1, 10.0),
        ("o2", "A", "2024-02-01 00:00:00", "p", 1, 10.0),
        ("o3", "B", "2024-02-15 12:00:00", "p", 1, 10.0),
    ])
    ret = metrics.retention(con, "month")
    jan = ret[ret["cohort"] == pd.Timestamp("2024-01-01")].set_index("period")
    assert list(jan.index) == [0, 1]
    assert jan.loc[0, "customers"] == 1 and jan.loc[1, "customers"] == 1 and jan.loc[1, "retention"] == 1.0
    assert bool(jan.loc[0, "complete"]) and not bool(jan.loc[1, "complete"])  # March 1 is after the data end
    rep = metrics.repurchase(con, "month").set_index("period")
    assert rep.loc[pd.Timestamp("2024-02-01"), "returning_customers"] == 1
    assert rep.loc[pd.Timestamp("2024-02-01"), "new_customers"] == 1
    assert rep.loc[pd.Timestamp("2024-02-01"), "returning_rate"] == pytest.approx(0.5)
    t = metrics.time_to_second(con).set_index("customer_id")
    assert t.loc["A", "days_to_second"] == pytest.approx(1 / 86400, abs=1e-12)
    # ISO weeks: Wed 2024-01-31 and Thu 2024-02-01 share the week of Monday 2024-01-29
    week = metrics.retention(con, "week")
    w = week[week["cohort"] == pd.Timestamp("2024-01-29")].set_index("period")
    assert list(w.index) == [0, 1, 2] and list(w["customers"]) == [1, 0, 0]


def test_order_whose_every_line_is_cancelled(tmp_path):
    con = make_db(tmp_path, [
        ("100", "A", "2024-01-05 10:00:00", "p", 3, 10.0),
        ("C101", "A", "2024-01-06 10:00:00", "p", -3, 10.0, "cancelled"),   # Online Retail style
        ("102", "B", "2024-01-07 10:00:00", "p", 2, 4.0, "cancelled"),      # generic style
        ("102", "B", "2024-01-07 10:00:00", "q", 1, 1.0, "cancelled"),
    ])
    s = one(metrics.summary(con))
    assert (s["orders"], s["customers"], s["repeat_customers"]) == (1, 1, 0)
    assert s["revenue"] == pytest.approx(30.0)
    assert s["net_revenue"] == pytest.approx(30.0 - 30.0 - 8.0 - 1.0)
    assert list(metrics.rfm(con)["customer_id"]) == ["A"]


def test_returned_line_beside_kept_line(tmp_path):
    con = make_db(tmp_path, [
        ("200", "A", "2024-02-01 10:00:00", "p", 2, 15.0),
        ("200", "A", "2024-02-01 10:00:00", "q", 1, 40.0, "returned"),
        ("201", "A", "2024-02-20 10:00:00", "p", 1, 50.0),
    ])
    s = one(metrics.summary(con))
    assert (s["orders"], s["customers"], s["repeat_customers"]) == (2, 1, 1)
    assert s["revenue"] == pytest.approx(80.0) and s["net_revenue"] == pytest.approx(40.0)
    assert s["aov"] == pytest.approx(40.0) and s["repurchase_rate"] == pytest.approx(1.0)


def test_zero_price_and_zero_quantity_lines(tmp_path):
    con = make_db(tmp_path, [
        ("300", "A", "2024-01-01 10:00:00", "p", 1, 0.0),
        ("301", "B", "2024-01-02 10:00:00", "p", 0, 10.0),
        ("301", "B", "2024-01-02 10:00:00", "q", 2, 3.0),
        ("302", "C", "2024-01-03 10:00:00", "p", 0, 5.0),
    ])
    s = one(metrics.summary(con))
    assert (s["orders"], s["customers"]) == (1, 1)
    assert s["revenue"] == pytest.approx(6.0) and s["net_revenue"] == pytest.approx(6.0)
    assert list(metrics.rfm(con)["customer_id"]) == ["B"]


def test_guest_orders_count_in_orders_not_in_customers(tmp_path):
    con = make_db(tmp_path, [
        ("400", None, "2024-01-01 10:00:00", "p", 1, 100.0),
        ("401", None, "2024-01-02 10:00:00", "p", 1, 50.0),
        ("402", "A", "2024-01-03 10:00:00", "p", 1, 30.0),
        ("403", "A", "2024-01-20 10:00:00", "p", 1, 20.0),
    ])
    s = one(metrics.summary(con))
    assert (s["orders"], s["customers"], s["repeat_customers"]) == (4, 1, 1)
    assert s["revenue"] == pytest.approx(200.0) and s["aov"] == pytest.approx(50.0)
    assert s["revenue_per_customer"] == pytest.approx(50.0)
    assert list(metrics.time_to_second(con)["customer_id"]) == ["A"]
    assert one(metrics.repurchase(con, "month"))["customers"] == 1
    assert one(metrics.monthly(con))["orders"] == 4


def test_customer_who_skips_months_and_comes_back(tmp_path):
    con = make_db(tmp_path, [
        ("a1", "A", "2024-01-10 12:00:00", "p", 1, 10.0),
        ("b1", "B", "2024-01-20 12:00:00", "p", 1, 20.0),
        ("b2", "B", "2024-02-05 12:00:00", "p", 1, 30.0),
        ("a2", "A", "2024-04-10 12:00:00", "p", 1, 40.0),
    ])
    ret = metrics.retention(con, "month").set_index("period")
    assert list(ret.index) == [0, 1, 2, 3]
    assert list(ret["cohort_size"]) == [2, 2, 2, 2]
    assert list(ret["customers"]) == [2, 1, 0, 1]
    assert list(ret["retention"]) == [1.0, 0.5, 0.0, 0.5]
    assert list(ret["revenue"]) == [30.0, 30.0, 0.0, 40.0]
    assert ret.loc[3, "revenue_retention"] == pytest.approx(40 / 30)
    assert list(ret["complete"]) == [True, True, True, False]  # May 1 is after the data end, April 10
    rep = metrics.repurchase(con, "month")
    assert [str(p.date()) for p in rep["period"]] == ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]
    assert list(rep["customers"]) == [2, 1, 0, 1]  # March: nobody ordered, listed as zero
    assert list(rep["returning_rate"].fillna(-1)) == [0.0, 1.0, -1, 1.0]
    rw = one(metrics.repeat_within(con, [30, 90, 91]))
    # A: Jan 10 -> Apr 10 2024 = 91 days; B: 16 days
    assert (rw["within_30"], rw["within_90"], rw["within_91"]) == (0.5, 0.5, 1.0)
    # latest first order (Jan 20) + 30 days = Feb 19 <= Apr 10; + 90 days = Apr 19 > Apr 10
    assert bool(rw["complete_30"]) and not bool(rw["complete_90"]) and not bool(rw["complete_91"])
    med = metrics.time_to_second_median(con)
    overall = med[med["cohort"].isna()].iloc[0]
    assert overall["median_days"] == pytest.approx((91 + 16) / 2) and overall["with_second"] == 2


def test_ids_with_leading_zeros(tmp_path):
    con = make_db(tmp_path, [
        ("0001", "007", "2024-01-01 10:00:00", "p", 1, 10.0),
        ("1", "7", "2024-01-01 10:00:00", "p", 1, 20.0),
        ("01", "007", "2024-01-01 10:00:00", "p", 1, 5.0),
    ])
    s = one(metrics.summary(con))
    assert (s["orders"], s["customers"], s["repeat_customers"]) == (3, 2, 1)
    t = metrics.time_to_second(con).set_index("customer_id")
    # same time: ties broken by order id as text, "0001" < "01"
    assert t.loc["007", "first_order_id"] == "0001" and t.loc["007", "second_order_id"] == "01"
    assert t.loc["007", "days_to_second"] == 0.0
    assert sorted(metrics.rfm(con)["customer_id"]) == ["007", "7"]


def _rfm_db(tmp_path, recency_by_customer):
    """Customer ci has i orders (10 each); the last is `recency` days before 2024-06-30."""
    lines = []
    for i, (customer, recency) in enumerate(recency_by_customer.items(), start=1):
        last = dt.datetime(2024, 6, 30, 12) - dt.timedelta(days=recency)
        for k in range(i):
            at = last - dt.timedelta(hours=k)
            lines.append((f"{customer}-{k}", customer, at.strftime("%Y-%m-%d %H:%M:%S"), "p", 1, 10.0))
    return make_db(tmp_path, lines)


def test_rfm_scores_and_segments_diagonal(tmp_path):
    con = _rfm_db(tmp_path, {"c1": 100, "c2": 80, "c3": 60, "c4": 40, "c5": 0})
    r = metrics.rfm(con).set_index("customer_id")
    assert list(r["recency_days"]) == [100, 80, 60, 40, 0]
    assert list(r["frequency"]) == [1, 2, 3, 4, 5] and list(r["monetary"]) == [10.0, 20.0, 30.0, 40.0, 50.0]
    assert list(r["r_score"]) == [1, 2, 3, 4, 5] and list(r["f_score"]) == [1, 2, 3, 4, 5]
    assert list(r["m_score"]) == [1, 2, 3, 4, 5]
    assert list(r["segment"]) == ["Lost", "Hibernating", "Loyal", "Champions", "Champions"]
    later = metrics.rfm(con, as_of=D(2024, 7, 10)).set_index("customer_id")
    assert list(later["recency_days"]) == [110, 90, 70, 50, 10]


def test_rfm_segments_anti_diagonal_and_ties(tmp_path):
    con = _rfm_db(tmp_path, {"c1": 0, "c2": 40, "c3": 60, "c4": 80, "c5": 100})
    r = metrics.rfm_segments(con).set_index("customer_id")
    assert list(r["r_score"]) == [5, 4, 3, 2, 1]
    assert list(r["segment"]) == ["New", "Potential loyalists", "Loyal", "At risk", "Can't lose them"]
    assert set(r["segment"]) <= set(metrics.segment_names())
    assert list(metrics.rfm_segments(con).columns) == metrics.RFM_COLUMNS


def test_rfm_ties_share_a_score(tmp_path):
    con = _rfm_db(tmp_path, {"x": 5})
    con.execute("INSERT INTO order_lines SELECT 'y-0', 1, 'y', ordered_at, product_id, quantity, unit_price, status, "
                "country, 1 FROM order_lines WHERE customer_id = 'x'")
    refresh_derived(con)
    r = metrics.rfm(con)
    assert list(r["r_score"]) == [1, 1] and list(r["f_score"]) == [1, 1] and list(r["m_score"]) == [1, 1]


def test_filters_country_category_window(tmp_path):
    con = make_db(tmp_path, [
        ("a1", "A", "2024-01-05 10:00:00", "tea", 1, 10.0, "completed", "UK"),
        ("a1", "A", "2024-01-05 10:00:00", "cup", 1, 20.0, "completed", "UK"),
        ("a2", "A", "2024-02-10 10:00:00", "cup", 1, 5.0, "completed", "UK"),
        ("b1", "B", "2024-02-03 10:00:00", "tea", 2, 10.0, "completed", "FR"),
    ], products=[("tea", "Tea"), ("cup", "Cups")])
    tea = one(metrics.summary(con, Filters(category="Tea")))
    assert (tea["orders"], tea["customers"], tea["repeat_customers"], tea["revenue"]) == (2, 2, 0, 30.0)
    cups = one(metrics.summary(con, Filters(category="Cups")))
    assert (cups["orders"], cups["customers"], cups["repeat_customers"], cups["revenue"]) == (2, 1, 1, 25.0)
    fr = one(metrics.summary(con, Filters(country="FR")))
    assert (fr["orders"], fr["revenue"]) == (1, 20.0)
    feb = Filters(start=D(2024, 2, 1), end=D(2024, 3, 1))
    s = one(metrics.summary(con, feb))
    assert (s["orders"], s["customers"], s["revenue"]) == (2, 2, 25.0)
    rep = one(metrics.repurchase(con, "month", feb))
    assert (rep["new_customers"], rep["returning_customers"]) == (1, 1)  # A's first order ever is in January
    ret = metrics.retention(con, "month", feb)
    assert set(ret["cohort_size"]) == {1} and set(ret["cohort"]) == {pd.Timestamp("2024-02-01")}
    prev = one(metrics.summary_previous(con, feb))  # 2024-01-03 <= time < 2024-02-01
    assert (prev["orders"], prev["revenue"]) == (1, 30.0)
    evil = Filters(country="'; DROP TABLE order_lines;--", category="x' OR '1'='1")
    assert one(metrics.summary(con, evil))["orders"] == 0
    assert con.execute("SELECT count(*) FROM order_lines").fetchone()[0] == 4
    assert metrics.countries(con) == ["FR", "UK"] and metrics.categories(con) == ["Cups", "Tea"]
    assert metrics.date_range(con) == (D(2024, 1, 5), D(2024, 2, 10))


def test_empty_database_returns_empty_frames(empty_db):
    con = connect(empty_db)
    s = one(metrics.summary(con))
    assert s["orders"] == 0 and s["customers"] == 0 and pd.isna(s["repurchase_rate"])
    for frame in (metrics.retention(con, "week"), metrics.repurchase(con, "month"), metrics.repeat_within(con),
                  metrics.time_to_second(con), metrics.rfm(con), metrics.monthly(con)):
        assert frame.empty
    assert metrics.date_range(con) == (None, None)
    assert list(metrics.repeat_within(con).columns)[:3] == ["cohort", "customers", "within_30"]


def test_every_sql_file_has_a_definition_line():
    for name in metrics.metric_names():
        assert metrics.definition(name), name


def test_concurrent_cursors_agree_with_a_serial_run(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    con = make_db(tmp_path, [(f"o{i}", f"c{i % 7}", f"2024-0{1 + i % 6}-1{i % 9} 10:00:00", "p", 1 + i % 3, 2.5)
                             for i in range(60)])
    serial = [metrics.retention(con.cursor(), "month").to_csv() for _ in range(8)]

    def work(_):
        return metrics.retention(con.cursor(), "month").to_csv()

    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(work, range(8)))
    assert parallel == serial and len(set(serial)) == 1
