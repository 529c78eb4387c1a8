"""Figures a person can read: the customer-weighted next-period rate, small cohorts greyed and never picked by
default, a readable weekly grid with period 0 outside the colour scale, and the pages that show them."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from recs import metrics
from recs.db import connect
from recs.metrics import charts, cohorts
from recs.settings import save_settings
from tests.conftest import open_page


def _retention(rows: list[tuple]) -> pd.DataFrame:
    """A hand-made retention frame: (cohort, period, cohort_size, customers, complete)."""
    frame = pd.DataFrame(rows, columns=["cohort", "period", "cohort_size", "customers", "complete"])
    frame["cohort"] = pd.to_datetime(frame["cohort"])
    frame["retention"] = frame["customers"] / frame["cohort_size"]
    frame["revenue"] = 10.0 * frame["customers"]
    frame["revenue_retention"] = frame["retention"]
    return frame[metrics.RETENTION_COLUMNS]


HAND = _retention([
    ("2024-01-01", 0, 2, 2, True), ("2024-01-01", 1, 2, 2, True),          # 2 customers, both came back: 100 %
    ("2024-02-01", 0, 200, 200, True), ("2024-02-01", 1, 200, 20, True),   # 10 %
    ("2024-03-01", 0, 100, 100, True), ("2024-03-01", 1, 100, 10, False),  # next month not over: left out
])


def test_next_period_rate_is_weighted_by_customers():
    rate = cohorts.next_period_rate(HAND)
    assert (rate.returning, rate.customers, rate.cohorts) == (22, 202, 2)
    assert rate.rate == pytest.approx(22 / 202)          # 10.9 %, not the plain mean of 100 % and 10 %
    assert rate.unweighted == pytest.approx(0.55)
    assert cohorts.next_period_rate(HAND[HAND["period"] == 0]) is None


def test_small_cohorts_are_never_picked_by_default():
    sizes = cohorts.cohort_sizes(HAND)
    assert list(sizes) == [2, 200, 100]
    assert list(cohorts.is_small(sizes, 20)) == [True, False, False]
    assert cohorts.default_cohorts(sizes, 20) == list(sizes.index[1:])
    assert cohorts.default_cohorts(sizes, 500) == []
    many = pd.Series([5, 50, 60, 70, 3, 80, 90], index=pd.date_range("2024-01-01", periods=7, freq="MS"))
    picked = cohorts.default_cohorts(many, 20)
    assert len(picked) == 3 and all(many[c] >= 20 for c in picked)
    assert picked[0] == many.index[1] and picked[-1] == many.index[-1]


def test_heatmap_greys_period_zero_and_small_cohorts_and_caps_columns():
    fig = charts.retention_heatmap(HAND, "month", "retention", min_cohort=20)
    neutral, scaled = fig.data[0], fig.data[1]
    z_scaled, z_neutral = np.array(scaled.z, dtype=float), np.array(neutral.z, dtype=float)
    assert np.isnan(z_scaled[:, 0]).all()                    # period 0 is outside the colour scale
    assert np.isnan(z_scaled[0]).all()                       # the 2-customer cohort too
    assert not np.isnan(z_neutral[0]).any() and "small" in scaled.y[0]
    assert scaled.zmax == pytest.approx(0.10)                # the scale tops at the highest later cell it shows
    assert neutral.text[0][1] == "100%"                      # the small cohort's figure is still written
    weeks = _retention([("2024-01-01", p, 50, 50 if p == 0 else 5, True) for p in range(90)])
    narrow = charts.retention_heatmap(weeks, "week", "retention", max_periods=26)
    assert list(narrow.data[1].x) == list(range(27))


def test_revenue_retention_above_100_percent_saturates_but_keeps_its_text():
    frame = HAND.copy()
    frame.loc[(frame["cohort"] == "2024-02-01") & (frame["period"] == 1), "revenue_retention"] = 4.78
    fig = charts.retention_heatmap(frame, "month", "revenue_retention", min_cohort=20)
    assert fig.data[1].zmax == 1.0 and "478%" in fig.data[1].text[1][1]


def test_repeat_within_chart_greys_small_cohorts():
    frame = pd.DataFrame({"cohort": pd.to_datetime(["2024-01-01", "2024-02-01"]), "customers": [2, 200],
                          "within_30": [1.0, 0.2], "complete_30": [True, True]})
    fig = charts.repeat_within_chart(frame, ["30"], "month", min_cohort=20)
    assert fig.data[0].marker.color[0] == charts.SMALL_COLOR and fig.data[0].marker.color[1] != charts.SMALL_COLOR
    assert "small" in fig.data[0].x[0]


@pytest.fixture
def small_cohort_shop(demo_db, tmp_path):
    """The demo shop with a minimum cohort size above some weekly cohorts' size."""
    path = tmp_path / "shop.duckdb"
    shutil.copy(demo_db, path)
    con = connect(path)
    save_settings(con, min_cohort=40)
    con.close()
    return path


def test_retention_page_reads_well_on_weeks_and_keeps_the_cohorts_to_compare(small_cohort_shop, use_db):
    use_db(small_cohort_shop)
    con = connect(small_cohort_shop)
    weekly = metrics.retention(con, "week")
    con.close()
    at = open_page("pages/retention.py")
    assert any("weighted by customers" in m.value for m in at.markdown)
    at.radio(key="ret_grain").set_value("week").run()
    assert not at.exception
    assert at.slider(key="ret_weeks_shown").value == 26
    sizes = cohorts.cohort_sizes(weekly)
    at.toggle(key="ret_curves_on").set_value(True).run()
    chosen = at.multiselect(key="ret_cohorts").value
    assert chosen and all(sizes[pd.Timestamp(c)] >= 40 for c in chosen)
    at.selectbox(key="ret_country").set_value("France").run()  # new cohorts: the choice never goes blank
    assert not at.exception and at.multiselect(key="ret_cohorts").value
    at.date_input(key="ret_dates").set_value((pd.Timestamp("2025-03-01").date(),
                                              pd.Timestamp("2025-12-31").date())).run()
    assert not at.exception and at.multiselect(key="ret_cohorts").value is not None


def test_product_page_names_both_humps_and_labels_its_tables(demo_db, use_db):
    use_db(demo_db)
    at = open_page("pages/product.py")
    at.text_input(key="product-search").set_value("BAK-019").run()  # Panettone: a second gift soon, most a year on
    assert not at.exception
    assert at.selectbox(key="product-pick").value == "BAK-019"
    assert any("Two groups re-buy it" in i.value and "~a year" in i.value for i in at.info)
    assert {m.label: m.value for m in at.metric}["Price"].startswith("£")
    also = at.dataframe[0]
    labels = {name: c.get("label") for name, c in json.loads(also.proto.columns).items()}
    assert labels["share"] == "Share of its buyers"  # a human label on screen; the CSV keeps `share`
    assert "None" not in also.value.astype(str).to_numpy()


def test_experiments_page_speaks_the_shops_currency_with_human_labels(small_cohort_shop, use_db):
    con = connect(small_cohort_shop)
    save_settings(con, currency="USD")
    con.close()
    use_db(small_cohort_shop)
    at = open_page("pages/experiments.py")
    lift = at.dataframe[0].value
    machine = {"lift_rel", "rel_ci_low", "rel_ci_high", "p_value", "p_value_holm", "ci_low", "experiment_id"}
    assert not machine & set(lift.columns)
    assert "None" not in lift.astype(str).to_numpy()
    money = lift.loc[lift["Metric"] == "revenue per customer", "Value"]
    assert len(money) and all(v.startswith("$") for v in money)
    assert not any("£" in t.value for t in [*at.success, *at.info, *at.markdown])
    assert any(m.value.startswith("$") for m in at.metric if "revenue per customer" in m.label)


def test_customers_and_customer_pages_label_money_with_the_currency(demo_db, use_db):
    use_db(demo_db)
    at = open_page("pages/customers.py")
    labels = {name: c.get("label") for name, c in json.loads(at.dataframe[0].proto.columns).items()}
    assert labels["revenue"] == "Revenue (GBP)"
    at = open_page("pages/customer.py")
    assert {m.label: m.value for m in at.metric}["Revenue"].startswith("£")
    bought = at.dataframe[0]
    labels = {name: c.get("label") for name, c in json.loads(bought.proto.columns).items()}
    assert labels["product_name"] == "Name" and labels["revenue"] == "Revenue (GBP)"
    assert "None" not in bought.value.astype(str).to_numpy()
