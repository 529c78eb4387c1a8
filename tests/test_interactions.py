"""The interaction matrix from a hand-made warehouse: what counts, and each weighting computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from recs.db import connect
from recs.errors import InputError
from recs.interactions import build_interactions

PRODUCTS = [("p1", "Mug", "kitchen", True, True, 5.0), ("p2", "Pot", "kitchen", True, True, 9.0),
            ("p3", "Hose", "garden", True, False, 20.0), ("POST", "Postage", None, False, True, 3.0)]
LINES = [  # order, line, customer, time, product, quantity, price, status
    ("o1", 1, "a", "2024-01-01 10:00", "p1", 2, 5.0, "completed"),
    ("o1", 2, "a", "2024-01-01 10:00", "p1", 1, 5.0, "completed"),  # same order twice: one order
    ("o1", 3, "a", "2024-01-01 10:00", "POST", 1, 3.0, "completed"),  # not a product
    ("o2", 1, "a", "2024-01-11 09:00", "p1", 1, 5.0, "completed"),
    ("o2", 2, "a", "2024-01-11 09:00", "p2", 1, 9.0, "completed"),
    ("o3", 1, "a", "2024-01-21 00:00", "p1", 1, 5.0, "completed"),
    ("o4", 1, "b", "2024-01-16 00:00", "p1", 1, 5.0, "completed"),
    ("o4", 2, "b", "2024-01-16 00:00", "p2", 0, 9.0, "completed"),  # quantity 0: not valid
    ("o5", 1, "b", "2024-01-20 00:00", "p2", 1, 9.0, "cancelled"),
    ("o6", 1, None, "2024-01-05 00:00", "p2", 1, 9.0, "completed"),  # guest
    ("o7", 1, "c", "2024-01-10 00:00", "POST", 1, 3.0, "completed"),  # only postage: not a customer here
    ("o8", 1, "b", "2024-02-05 00:00", "p3", 1, 20.0, "completed"),  # after the cutoff
    ("o9", 1, "d", "2024-01-25 00:00", "p2", 1, 0.0, "completed"),  # price 0: not valid
]
CUTOFF = "2024-02-01"


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    con.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?, ?)", PRODUCTS)
    con.executemany("INSERT INTO order_lines VALUES (?, ?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, 'UK', 1)", LINES)
    yield con
    con.close()


def dense(m) -> list[list[float]]:
    return m.toarray().round(6).tolist()


def test_rows_columns_and_counts(con) -> None:
    d = build_interactions(con, until=CUTOFF)
    assert d.customer_ids.tolist() == ["a", "b"]
    assert d.product_ids.tolist() == ["p1", "p2", "p3"]  # every real product, never-bought p3 too; no POST
    assert d.cutoff == pd.Timestamp(CUTOFF)
    assert dense(d.matrix) == [[1, 1, 0], [1, 0, 0]]
    assert dense(d.counts) == [[3, 1, 0], [1, 0, 0]]
    assert d.matrix.dtype == np.float32
    days = d.last_days.toarray()
    assert days[0, 0] == pytest.approx(11.0) and days[0, 1] == pytest.approx(20 + 15 / 24)
    assert days[1, 0] == pytest.approx(16.0)
    assert d.customer_index("b") == 1 and d.customer_index("c") is None
    assert d.product_index("p3") == 2 and d.product_index("POST") is None
    p = d.products.set_index("product_id")
    assert p["buyers"].to_dict() == {"p1": 2, "p2": 1, "p3": 0}
    assert p.loc["p1", "repurchase_days"] == 10.0  # a: Jan 1, 11, 21 -> gaps 10, 10
    assert np.isnan(p.loc["p2", "repurchase_days"])
    assert not p.loc["p3", "in_stock"] and p.loc["p3", "unit_price"] == 20.0


def test_weightings_by_hand(con) -> None:
    assert dense(build_interactions(con, until=CUTOFF, weighting="count").matrix) == [[3, 1, 0], [1, 0, 0]]
    log = build_interactions(con, until=CUTOFF, weighting="log").matrix.toarray()
    assert log[0, 0] == pytest.approx(math.log(4)) and log[1, 0] == pytest.approx(math.log(2))
    rec = build_interactions(con, until=CUTOFF, weighting="recency", half_life_days=10).matrix.toarray()
    ages = [30 + 14 / 24, 20 + 15 / 24, 11]  # a's three orders of p1, in days before the cutoff
    assert rec[0, 0] == pytest.approx(sum(0.5 ** (a / 10) for a in ages), rel=1e-6)
    assert rec[0, 1] == pytest.approx(0.5 ** ((20 + 15 / 24) / 10), rel=1e-6)
    assert rec[1, 0] == pytest.approx(0.5 ** 1.6, rel=1e-6)


def test_no_cutoff_means_the_day_after_the_last_purchase(con) -> None:
    d = build_interactions(con)
    assert d.cutoff == pd.Timestamp("2024-02-06")
    assert dense(d.matrix) == [[1, 1, 0], [1, 0, 1]]


def test_bad_requests(con, empty_db) -> None:
    with pytest.raises(InputError, match="before 2023-01-01"):
        build_interactions(con, until="2023-01-01")
    with pytest.raises(InputError, match="unknown weighting"):
        build_interactions(con, until=CUTOFF, weighting="bogus")
    with pytest.raises(InputError, match="cannot read 'soon'"):
        build_interactions(con, until="soon")
    with pytest.raises(InputError, match="half_life_days"):
        build_interactions(con, until=CUTOFF, weighting="recency", half_life_days=0)
    empty = connect(empty_db)
    with pytest.raises(InputError, match="nothing to train on"):
        build_interactions(empty)
    empty.close()


def test_events_list_each_purchase_before_the_cutoff(con) -> None:
    """Per (customer, product, order) purchase times, for replaying history at earlier cutoffs."""
    d = build_interactions(con, until=CUTOFF)
    ev = d.events.assign(customer=lambda e: d.customer_ids[e["row"]], product=lambda e: d.product_ids[e["col"]])
    got = sorted((r.customer, r.product, r.order_id, str(pd.Timestamp(r.ordered_at))) for r in ev.itertuples())
    assert got == [
        ("a", "p1", "o1", "2024-01-01 10:00:00"), ("a", "p1", "o2", "2024-01-11 09:00:00"),
        ("a", "p1", "o3", "2024-01-21 00:00:00"), ("a", "p2", "o2", "2024-01-11 09:00:00"),
        ("b", "p1", "o4", "2024-01-16 00:00:00"),
    ]
