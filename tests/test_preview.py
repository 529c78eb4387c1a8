"""recs.preview against a hand-built warehouse whose answers are worked out by hand in the comments."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from recs import preview
from recs.db import connect, refresh_derived
from recs.errors import InputError, NotFound

PRODUCTS = [
    # product_id, name, category, is_product, in_stock, unit_price
    ("P1", "Red mug", "Kitchen", True, True, 3.0),
    ("P2", "Blue mug", "Kitchen", True, True, 4.0),
    ("P3", "Tea towel", "Textile", True, True, 2.0),
    ("P4", "Unsold lamp", "Lighting", True, False, 9.0),
    ("POST", "Postage", "Fees", False, True, 5.0),
]
LINES = [
    # order_id, line_no, customer_id, ordered_at, product_id, quantity, unit_price, status
    ("O1", 1, "C1", "2024-01-01 10:00", "P1", 2, 3.0, "completed"),
    ("O1", 2, "C1", "2024-01-01 10:00", "P2", 1, 4.0, "completed"),
    ("O1", 3, "C1", "2024-01-01 10:00", "POST", 1, 5.0, "completed"),
    ("O2", 1, "C1", "2024-01-11 10:00", "P1", 1, 3.0, "completed"),
    ("O3", 1, "C1", "2024-01-31 10:00", "P1", 1, 3.0, "completed"),
    ("O3", 2, "C1", "2024-01-31 10:00", "P3", 1, 2.0, "completed"),
    ("O4", 1, "C2", "2024-01-05 09:00", "P1", 1, 3.0, "completed"),
    ("O4", 2, "C2", "2024-01-05 09:00", "P3", 2, 2.0, "completed"),
    ("O5", 1, "C2", "2024-01-09 09:00", "P1", 1, 3.0, "completed"),
    ("O11", 1, "C2", "2024-01-09 15:00", "P1", 1, 3.0, "completed"),  # same day as O5: one purchase day
    ("O6", 1, "C3", "2024-01-07 12:00", "P2", 1, 4.0, "completed"),
    ("O7", 1, "C3", "2024-01-08 12:00", "P2", 1, 4.0, "cancelled"),  # not a valid line
    ("O8", 1, "C1", "2024-02-01 10:00", "P2", -1, 4.0, "returned"),  # not a valid line
    ("O9", 1, None, "2024-01-20 10:00", "P1", 1, 3.0, "completed"),  # guest
    ("O10", 1, "C10", "2024-02-02 10:00", "P3", 1, 2.0, "completed"),
]


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    path: Path = tmp_path_factory.mktemp("preview") / "small.duckdb"
    con = connect(path)
    con.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?, ?)", PRODUCTS)
    con.executemany(
        "INSERT INTO order_lines VALUES (?, ?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, 'UK', 1)", LINES
    )
    refresh_derived(con)
    yield con
    con.close()


def test_search_customers_by_prefix(con):
    found = preview.search_customers(con, "C1")
    assert list(found["customer_id"]) == ["C1", "C10"]
    assert list(found["orders"]) == [3, 1]  # O8 is a return only: not an order
    assert list(preview.search_customers(con, "")["customer_id"]) == ["C1", "C10", "C2", "C3"]
    assert preview.search_customers(con, "nobody").empty


def test_search_is_inert_to_sql_text(con):
    assert preview.search_customers(con, "'; DROP TABLE order_lines;--").empty
    assert preview.search_products(con, "%").empty  # a literal percent sign, not a wildcard
    assert con.execute("SELECT count(*) FROM order_lines").fetchone()[0] == len(LINES)


def test_search_products_by_id_or_name(con):
    assert list(preview.search_products(con, "mug")["product_id"]) == ["P1", "P2"]
    assert preview.search_products(con, "p3")["product_id"].iloc[0] == "P3"
    assert list(preview.search_products(con, "lamp")["buyers"]) == [0]
    # no text: real products first, best sellers first (P3: C1, C2, C10; P1: C1, C2; P2: C1, C3), postage last
    assert list(preview.search_products(con, "")["product_id"]) == ["P3", "P1", "P2", "P4", "POST"]
    with pytest.raises(InputError):
        preview.search_products(con, "", limit=0)


def test_customer_summary_timeline_and_products(con):
    summary = preview.customer_summary(con, "C1")
    assert summary["orders"] == 3
    assert summary["revenue"] == pytest.approx(15 + 3 + 5)
    timeline = preview.customer_timeline(con, "C1")
    assert list(timeline["order_id"]) == ["O1", "O2", "O3"]
    assert list(timeline["revenue"]) == pytest.approx([2 * 3 + 4 + 5, 3, 3 + 2])
    bought = preview.customer_products(con, "C1").set_index("product_id")
    assert bought.loc["P1", "orders"] == 3
    assert bought.loc["P1", "quantity"] == 4
    assert bought.loc["P1", "revenue"] == pytest.approx(12.0)
    assert bool(bought.loc["POST", "is_product"]) is False
    assert bought.index[0] == "P1"
    assert preview.customer_summary(con, "C3")["orders"] == 1  # the cancelled O7 does not count
    with pytest.raises(NotFound, match="unknown customer id"):
        preview.customer_summary(con, "C99")


def test_repurchase_cycle(con):
    cycle = preview.repurchase_cycle(con, "P1")
    # C1 bought P1 on Jan 1, 11 and 31 (gaps 10 and 20); C2 on Jan 5 and twice on Jan 9 (one gap of 4 days);
    # the guest does not count
    assert sorted(cycle["gaps"]["gap_days"]) == pytest.approx([4.0, 10.0, 20.0])
    assert cycle["median_days"] == pytest.approx(10.0)
    assert cycle["repeat_customers"] == 2
    assert cycle["repeat_purchases"] == 3
    none = preview.repurchase_cycle(con, "P4")
    assert none["median_days"] is None and none["repeat_customers"] == 0


def test_also_bought_counts_shares_and_lift(con):
    also = preview.also_bought(con, "P1").set_index("product_id")
    # buyers of P1: C1 and C2. C1 also bought P2, P3 (and postage, not a product); C2 also bought P3.
    assert list(also.index) == ["P3", "P2"]
    assert also.loc["P3", "customers"] == 2 and also.loc["P2", "customers"] == 1
    assert also.loc["P3", "share"] == pytest.approx(1.0)
    assert also.loc["P2", "share"] == pytest.approx(0.5)
    # 4 known customers; P3 bought by 3 of them, P2 by 2
    assert also.loc["P3", "lift"] == pytest.approx(1.0 / (3 / 4))
    assert also.loc["P2", "lift"] == pytest.approx(0.5 / (2 / 4))
    assert preview.also_bought(con, "P4").empty


def test_product_info(con):
    info = preview.product_info(con, "P1")
    # orders O1-O5, O11 plus the guest's O9; buyers are known customers only (C1, C2)
    assert info["name"] == "Red mug" and info["buyers"] == 2 and info["orders"] == 7
    assert info["quantity"] == 2 + 1 + 1 + 1 + 1 + 1 + 1
    lamp = preview.product_info(con, "P4")
    assert lamp["buyers"] == 0 and lamp["in_stock"] is False
    with pytest.raises(NotFound, match="unknown product id"):
        preview.product_info(con, "ZZZ")


def test_likely_buyers_adds_each_customers_history(con):
    from recs.export import fit_model

    model = fit_model(con, "popular").model  # the same score for everyone: ties broken by customer order
    everyone = preview.likely_buyers(con, model, "P1", limit=10).set_index("customer_id")
    assert set(everyone.index) == {"C1", "C2", "C3", "C10"}  # customers with real-product purchases
    assert everyone.loc["C1", "bought_before"] == 3 and everyone.loc["C2", "bought_before"] == 3
    assert everyone.loc["C3", "bought_before"] == 0 and everyone.loc["C3", "orders"] == 1
    assert str(everyone.loc["C1", "last_bought"]) == "2024-01-31 10:00:00"
    fresh = preview.likely_buyers(con, model, "P1", limit=10, exclude_purchased=True)
    assert set(fresh["customer_id"]) == {"C3", "C10"}
    assert list(fresh["rank"]) == [1, 2]
    with pytest.raises(NotFound):
        preview.likely_buyers(con, model, "POST")  # not a real product: no model knows it


def test_training_snapshot_counts_what_a_model_sees(con):
    snap = preview.training_snapshot(con, "2024-01-10")
    # before Jan 10: O1 (P1, P2; postage is not a product), O4 (P1, P3), O5 (P1), O11 (P1), O6 (P2; O7 was
    # cancelled); the guest's O9 is later and has no customer anyway
    assert (snap["lines"], snap["orders"], snap["customers"], snap["products"]) == (7, 5, 3, 3)
    assert preview.training_snapshot(con)["customers"] == 4


def test_customer_timeline_equals_the_order_definition(con):
    lines = con.execute("SELECT * FROM valid_lines").df().assign(value=lambda f: f.quantity * f.unit_price)
    for customer in ("C1", "C2", "C3", "C10"):
        mine = preview.customer_timeline(con, customer)
        orders = lines.groupby("order_id").agg(customer_id=("customer_id", "min"), ordered_at=("ordered_at", "min"),
                                               revenue=("value", "sum"), items=("quantity", "sum"),
                                               lines=("order_id", "size")).reset_index()
        ref = orders[orders.customer_id == customer].sort_values(["ordered_at", "order_id"], ignore_index=True)
        pd.testing.assert_frame_equal(mine, ref.drop(columns="customer_id"), check_dtype=False)


@pytest.mark.parametrize("name", ["popular", "repeat", "item_knn"])
def test_likely_buyers_from_a_score_matrix_equals_the_model(con, name):
    from recs.export import fit_model

    model = fit_model(con, name).model
    scores = preview.score_matrix(model)
    for product in ("P1", "P2", "P3", "P4"):
        for exclude in (False, True):
            direct = preview.likely_buyers(con, model, product, 3, exclude_purchased=exclude)
            lookup = preview.likely_buyers(con, model, product, 3, exclude_purchased=exclude, scores=scores)
            pd.testing.assert_frame_equal(direct, lookup)
    assert preview.score_matrix(model, max_cells=3) is None
