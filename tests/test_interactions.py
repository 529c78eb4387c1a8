"""The interaction matrix from a hand-made warehouse: what counts, and each weighting computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from recs.db import connect, refresh_derived
from recs.errors import InputError
from recs.interactions import LINES_SQL, PRODUCTS_SQL, build_interactions, from_lines

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
    refresh_derived(con)
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


def oracle(con, cutoff: str, half_life: float) -> dict:
    """The matrix's cells, computed independently with pandas from the raw lines (string keys, no ranks)."""
    lines = con.execute("""
        SELECT l.customer_id, l.product_id, l.order_id, l.ordered_at FROM order_lines l JOIN products p USING (product_id)
        WHERE p.is_product AND l.customer_id IS NOT NULL AND l.quantity > 0 AND l.unit_price > 0
          AND l.status NOT IN ('cancelled', 'returned') AND l.ordered_at < ?""", [pd.Timestamp(cutoff)]).df()
    first = lines.groupby(["customer_id", "product_id", "order_id"])["ordered_at"].min().rename("t").reset_index()
    age = (pd.Timestamp(cutoff) - first["t"]).dt.total_seconds() / 86400
    first["decay"] = 0.5 ** (age / half_life)
    cells = first.groupby(["customer_id", "product_id"]).agg(n=("order_id", "nunique"), last=("t", "max"),
                                                             decay=("decay", "sum"))
    days = first.assign(day=first["t"].dt.floor("D"))[["customer_id", "product_id", "day"]].drop_duplicates()
    days = days.sort_values("day")
    days["gap"] = days.groupby(["customer_id", "product_id"])["day"].diff().dt.days
    return {"cells": cells, "first": first, "cycle": days.dropna().groupby("product_id")["gap"].median(),
            "buyers": first.groupby("product_id")["customer_id"].nunique()}


def cells_of(d, m) -> pd.Series:
    coo = m.tocoo()
    index = pd.MultiIndex.from_arrays([d.customer_ids[coo.row], d.product_ids[coo.col]])
    return pd.Series(coo.data.astype(float), index=index).sort_index()


@pytest.mark.parametrize(("which", "cutoff"), [("demo_db", "2025-06-01"), ("retail_db", "2011-09-01")])
def test_matches_an_independent_pandas_computation(request, which, cutoff) -> None:
    """DuckDB groups the lines; an independent pandas computation from the raw lines must agree cell by cell."""
    con = connect(request.getfixturevalue(which))
    try:
        want = oracle(con, cutoff, half_life=30.0)
        d = build_interactions(con, until=cutoff, weighting="recency", half_life_days=30.0)
        cnt = build_interactions(con, until=cutoff, weighting="count")
    finally:
        con.close()
    cells = want["cells"]
    assert d.customer_ids.tolist() == sorted(cells.index.get_level_values(0).unique())
    got_n = cells_of(cnt, cnt.counts)
    assert got_n.index.equals(cells.index) and (got_n.to_numpy() == cells["n"].to_numpy()).all()
    assert (cells_of(cnt, cnt.matrix).to_numpy() == cells["n"].to_numpy()).all()
    np.testing.assert_allclose(cells_of(d, d.matrix).to_numpy(), cells["decay"].to_numpy(), rtol=1e-6)
    last = (pd.Timestamp(cutoff) - cells["last"]).dt.total_seconds().to_numpy() / 86400
    np.testing.assert_allclose(cells_of(d, d.last_days).to_numpy(), np.maximum(last, 1 / 1440), rtol=1e-6)
    p = d.products.set_index("product_id")
    assert (p["buyers"] == want["buyers"].reindex(p.index, fill_value=0)).all()
    pd.testing.assert_series_equal(p["repurchase_days"], want["cycle"].reindex(p.index).astype(float),
                                   check_names=False)
    ev = d.events.assign(customer_id=d.customer_ids[d.events["row"]], product_id=d.product_ids[d.events["col"]])
    got = ev.set_index(["customer_id", "product_id", "order_id"])["ordered_at"].sort_index()
    exp = want["first"].set_index(["customer_id", "product_id", "order_id"])["t"].sort_index()
    assert got.index.equals(exp.index) and (got.to_numpy() == exp.to_numpy()).all()


@pytest.mark.parametrize("weighting", ["binary", "recency"])
def test_warehouse_and_in_memory_paths_agree(retail_db, weighting) -> None:
    """build_interactions (DuckDB) and from_lines (pandas, used by the tuning and the hybrid's training windows)
    give the same matrices, ids, product table and events from the same lines."""
    con = connect(retail_db)
    try:
        d = build_interactions(con, until="2011-10-01", weighting=weighting)
        lines = con.execute(LINES_SQL, [pd.Timestamp("2011-10-01").to_pydatetime()] * 2).df()
        products = con.execute(PRODUCTS_SQL).df()
    finally:
        con.close()
    e = from_lines(lines, products, "2011-10-01", weighting=weighting)
    for name in ("matrix", "counts", "last_days"):
        a, b = getattr(d, name), getattr(e, name)
        assert (a.indptr == b.indptr).all() and (a.indices == b.indices).all() and (a.data == b.data).all()
    assert d.customer_ids.tolist() == e.customer_ids.tolist() and d.product_ids.tolist() == e.product_ids.tolist()
    pd.testing.assert_frame_equal(d.products, e.products)
    # the same events in the same order (each cell a run in time order): the hybrid, which replays them and sums
    # per-order weights in this order, is then the same model on both paths, to the bit
    pd.testing.assert_frame_equal(d.events, e.events)


def test_reads_inside_a_callers_transaction_and_after_an_error(con) -> None:
    """One statement, no transaction of its own: a caller's open transaction stays usable, and a result the caller
    left half-read (as `python -m recs train` does) does not block the read."""
    con.execute("BEGIN TRANSACTION")
    con.execute("SELECT * FROM order_lines").fetchone()
    assert dense(build_interactions(con, until=CUTOFF).matrix) == [[1, 1, 0], [1, 0, 0]]
    with pytest.raises(InputError):
        build_interactions(con, until="2020-01-01")
    assert con.execute("SELECT count(*) FROM products").fetchone()[0] == 4
    con.execute("COMMIT")
