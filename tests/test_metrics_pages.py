"""Overview, Retention and Customers render through the real app (AppTest) on an empty and on the demo database,
with filter combinations, and the numbers on screen are the library's numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from recs import metrics
from recs.db import connect
from tests.conftest import REPO, open_page

PAGES = ["pages/overview.py", "pages/retention.py", "pages/customers.py"]


_open = open_page


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_page_on_empty_database_shows_friendly_state(page, empty_db, use_db):
    use_db(empty_db)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)  # the empty state links to the Data page
    at.run()
    at.switch_page(page)
    at.run()
    _ok(at)
    assert any("no orders yet" in i.value for i in at.info)


def test_overview_tiles_match_summary(demo_db, use_db):
    use_db(demo_db)
    at = _open("pages/overview.py")
    con = connect(demo_db)
    s = metrics.summary(con).iloc[0]
    con.close()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Orders"] == f"{int(s['orders']):,}"
    assert tiles["Customers"] == f"{int(s['customers']):,}"
    assert tiles["Repurchase rate"] == f"{s['repurchase_rate']:.1%}"
    assert tiles["Average order value"] == f"£{s['aov']:,.2f}"  # the demo shop's currency, GBP
    assert any("Data from" in m.value for m in at.markdown)


def test_retention_page_filter_combinations(demo_db, use_db):
    use_db(demo_db)
    at = _open("pages/retention.py")
    assert {"Orders", "Customers", "Repurchase rate"} <= {m.label for m in at.metric}
    at.radio(key="ret_grain").set_value("week").run()
    _ok(at)
    at.radio(key="ret_value").set_value("revenue_retention").run()
    _ok(at)
    at.date_input(key="ret_dates").set_value((dt.date(2025, 1, 1), dt.date(2025, 6, 30))).run()
    _ok(at)
    assert any(m.delta for m in at.metric), "a window with earlier data should show changes"
    at.selectbox(key="ret_country").set_value("France").run()
    _ok(at)
    at.selectbox(key="ret_category").set_value("Tea").run()
    _ok(at)
    at.radio(key="ret_grain").set_value("month").run()
    _ok(at)
    at.text_input(key="ret_days").set_value("0").run()
    _ok(at)
    assert any("--days" in e.value for e in at.error)
    at.text_input(key="ret_days").set_value("7,14.5").run()
    _ok(at)
    assert not at.error


def test_retention_page_with_no_matching_orders(demo_db, use_db):
    use_db(demo_db)
    at = _open("pages/retention.py")
    at.selectbox(key="ret_category").set_value("Fees").run()
    at.date_input(key="ret_dates").set_value((dt.date(2024, 1, 1), dt.date(2024, 1, 1))).run()
    _ok(at)


def test_customers_page_segments_and_filters(demo_db, use_db):
    use_db(demo_db)
    at = _open("pages/customers.py")
    assert at.selectbox(key="cust_segment").value == "Champions"
    at.selectbox(key="cust_segment").set_value("At risk").run()
    _ok(at)
    at.selectbox(key="cust_country").set_value("Germany").run()
    _ok(at)
    at.selectbox(key="cust_category").set_value("Coffee").run()
    _ok(at)
    at.date_input(key="cust_dates").set_value((dt.date(2024, 6, 1), dt.date(2025, 5, 31))).run()
    _ok(at)
    at.checkbox(key="cust_asof_on").check().run()
    _ok(at)
    at.date_input(key="cust_asof").set_value(dt.date(2025, 12, 31)).run()
    _ok(at)
    assert not at.error


def test_customers_page_caps_the_segment_table_but_not_its_download(demo_db, use_db):
    use_db(demo_db)
    con = connect(demo_db)
    counts = metrics.rfm(con, metrics.Filters())["segment"].value_counts()
    con.close()
    biggest = counts.idxmax()
    assert counts[biggest] > 1000  # the demo shop has a segment bigger than the on-screen cap
    at = _open("pages/customers.py")
    at.selectbox(key="cust_segment").set_value(biggest).run()
    _ok(at)
    shown = at.dataframe[1].value
    assert len(shown) == 1000 and shown["monetary"].is_monotonic_decreasing
    assert any(f"first 1,000 of {counts[biggest]:,} customers" in c.value for c in at.caption)
    assert at.download_button(key="dl-cust-members")
