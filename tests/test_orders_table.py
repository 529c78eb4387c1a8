"""The `orders` table: kept equal to its definition over valid lines by every write, and the metrics' fast path.

The metrics read `orders` when no country/category filter is set and recompute orders from the lines
otherwise; both paths must give the same figures on the whole shop.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from recs import db, metrics
from recs.importer import import_files
from recs.metrics import loader

HEADER = "order_id,customer_id,ordered_at,product_id,quantity,unit_price,status"


def orders_by_pandas(con) -> pd.DataFrame:
    """Independent: group the valid lines in pandas (qty > 0, price > 0, not cancelled/returned)."""
    lines = con.execute("SELECT * FROM order_lines").df()
    valid = lines[(lines.quantity > 0) & (lines.unit_price > 0) & ~lines.status.isin(["cancelled", "returned"])]
    valid = valid.assign(value=valid.quantity * valid.unit_price)
    grouped = valid.groupby("order_id").agg(customer_id=("customer_id", "min"), ordered_at=("ordered_at", "min"),
                                            revenue=("value", "sum"), last_line_at=("ordered_at", "max"))
    grouped = grouped.reset_index().sort_values(["customer_id", "ordered_at", "order_id"])
    grouped["customer_order_no"] = grouped.groupby("customer_id").cumcount() + 1  # guests (NaN) are dropped here
    return grouped.sort_values("order_id", ignore_index=True)


def orders_table(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM orders ORDER BY order_id").df()


def assert_orders_match(con) -> None:
    ours, ref = orders_table(con), orders_by_pandas(con)
    assert len(ours) == len(ref) > 0
    assert list(ours.order_id) == list(ref.order_id)
    assert ours.customer_id.fillna("").tolist() == ref.customer_id.fillna("").tolist()
    assert (ours.ordered_at.to_numpy() == ref.ordered_at.to_numpy()).all()
    assert (ours.last_line_at.to_numpy() == ref.last_line_at.to_numpy()).all()
    assert ours.customer_order_no.fillna(0).astype(int).tolist() == ref.customer_order_no.fillna(0).astype(int).tolist()
    assert abs(ours.revenue - ref.revenue).max() < 1e-6


@pytest.mark.parametrize("shop", ["retail_db", "demo_db"])
def test_orders_table_after_import_or_demo_matches_pandas(shop, request):
    con = db.connect(request.getfixturevalue(shop))
    try:
        assert_orders_match(con)
    finally:
        con.close()


def test_product_sales_after_retail_import_match_pandas(retail_db):
    con = db.connect(retail_db)
    try:
        ours = con.execute("SELECT * FROM product_sales ORDER BY product_id").df()
        lines = con.execute("SELECT * FROM valid_lines").df()
    finally:
        con.close()
    lines = lines.assign(value=lines.quantity * lines.unit_price)
    ref = lines.groupby("product_id").agg(buyers=("customer_id", "nunique"),
                                          quantity=("quantity", "sum"), revenue=("value", "sum"),
                                          lines=("order_id", "size"), first_sold=("ordered_at", "min"),
                                          last_sold=("ordered_at", "max")).reset_index()
    assert list(ours.product_id) == sorted(ref.product_id)
    ref = ref.set_index("product_id").loc[ours.product_id].reset_index()
    for col in ("buyers", "lines"):
        assert ours[col].tolist() == ref[col].tolist(), col
    for col in ("quantity", "revenue"):
        assert abs(ours[col] - ref[col]).max() < 1e-6, col
    assert (ours.first_sold.to_numpy() == ref.first_sold.to_numpy()).all()
    assert (ours.last_sold.to_numpy() == ref.last_sold.to_numpy()).all()


def test_import_replace_and_second_file_keep_orders_current(empty_db, tmp_path):
    first = tmp_path / "a.csv"
    first.write_text(HEADER + "\n1,c1,2024-01-01,P1,2,1.5,completed\n1,c1,2024-01-01,P2,1,3,completed\n"
                              "2,c2,2024-01-02,P1,1,1.5,cancelled\n")
    second = tmp_path / "b.csv"
    second.write_text(HEADER + "\n3,c1,2024-02-01,P1,1,1.5,completed\n")
    con = db.connect(empty_db)
    try:
        import_files(con, orders=first)
        assert orders_table(con).order_id.tolist() == ["1"]  # order 2 has no valid line
        assert orders_table(con).revenue.tolist() == [6.0]
        import_files(con, orders=second)
        assert orders_table(con).order_id.tolist() == ["1", "3"]
        import_files(con, orders=first, replace=True)  # same file again: its lines deleted and loaded anew
        assert orders_table(con).revenue.tolist() == [6.0, 1.5]
        assert con.execute("SELECT count(*) FROM order_lines").fetchone()[0] == 4
        assert_orders_match(con)
        import_files(con, orders=second, replace=True, dry_run=True)
        assert orders_table(con).order_id.tolist() == ["1", "3"]
    finally:
        con.close()


OLD_ORDERS = """SELECT order_id, min(customer_id) AS customer_id, min(ordered_at) AS ordered_at,
    sum(quantity * unit_price) AS revenue, sum(quantity) AS items, count(*) AS lines, min(country) AS country
    FROM valid_lines GROUP BY order_id"""


@pytest.mark.parametrize("old_kind", ["VIEW", "TABLE"])
def test_a_database_with_an_older_orders_is_upgraded(empty_db, tmp_path, old_kind):
    csv = tmp_path / "a.csv"
    csv.write_text(HEADER + "\n1,c1,2024-01-01,P1,2,1.5,completed\n2,,2024-01-03,P2,1,3,completed\n"
                            "3,c1,2024-01-02,P2,1,3,completed\n")
    con = db.connect(empty_db)
    import_files(con, orders=csv)
    con.execute("DROP TABLE orders")
    con.execute(f"CREATE {old_kind} orders AS {OLD_ORDERS}")  # old_kind: one of two fixed words
    con.execute("DROP TABLE product_sales")
    if old_kind == "TABLE":  # a product_sales of another shape is rebuilt too
        con.execute("CREATE TABLE product_sales AS SELECT product_id, 0 AS orders FROM products")
    con.close()
    con = db.connect(empty_db)
    try:
        kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'orders'").fetchone()
        assert kind[0] == "BASE TABLE"
        assert list(orders_table(con).columns) == db.ORDERS_COLUMNS
        assert_orders_match(con)
        numbered = con.execute("SELECT order_id, customer_order_no FROM orders ORDER BY order_id").fetchall()
        assert numbered == [("1", 1), ("2", None), ("3", 2)]
        assert con.execute("SELECT product_id, buyers, lines FROM product_sales ORDER BY 1").fetchall() == [
            ("P1", 1, 1), ("P2", 1, 2)]
    finally:
        con.close()


BASE_METRICS = [n for n in metrics.metric_names() if "{{base}}" in loader._read(n)]
WINDOWS = [(None, None), (dt.datetime(2024, 3, 1), dt.datetime(2025, 6, 1)), (None, dt.datetime(2024, 11, 15, 12))]


def both_paths(con, name: str, start, end) -> list[pd.DataFrame]:
    """The metric's SQL run over the orders table and over orders recomputed from lines, no country/category."""
    params = {"start": start, "end": end, "country": None, "category": None, "grain": "month", "days": [30.0, 90.0],
              "as_of": None}
    frames = []
    for filtered in (False, True):
        sql = loader.load_sql(name, filtered)
        used = set(loader._PARAM.findall(sql))
        frames.append(con.execute(sql, {k: v for k, v in params.items() if k in used}).df())
    return frames


@pytest.mark.parametrize("window", WINDOWS, ids=["all-time", "window", "end-only"])
@pytest.mark.parametrize("name", BASE_METRICS)
def test_whole_shop_path_equals_recomputing_orders_from_lines(demo_db, name, window):
    con = db.connect(demo_db)
    try:
        fast, slow = both_paths(con, name, *window)
    finally:
        con.close()
    assert len(fast) > 0
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-12)


def test_data_end_counts_lines_of_an_order_that_straddles_the_window_end(empty_db, tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text(HEADER + "\n1,c1,2024-01-01 09:00,P1,1,1,completed\n2,c2,2024-01-05 10:00,P1,1,1,completed\n"
                            "2,c2,2024-01-05 12:00,P2,1,1,completed\n2,c2,2024-01-06 08:00,P2,1,1,completed\n")
    con = db.connect(empty_db)
    try:
        import_files(con, orders=csv)
        for end in (dt.datetime(2024, 1, 5, 11), dt.datetime(2024, 1, 5, 13), dt.datetime(2024, 1, 7), None):
            fast, slow = both_paths(con, "retention", None, end)
            pd.testing.assert_frame_equal(fast, slow)
        rfm = metrics.rfm(con, metrics.Filters(end=dt.date(2024, 1, 6)))
        # data end before 2024-01-06 is the 12:00 line of order 2 (its order time is 10:00): recency 0 days
        assert rfm.set_index("customer_id").loc["c2", "recency_days"] == 0
    finally:
        con.close()
