"""Online Retail imported with the online-retail format: the figures of ../shared/datasets/README.md, and
an independent pandas computation of customers, products, names and prices as the oracle."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import RETAIL_PARQUET

from recs import db
from recs.importer import NON_PRODUCT_CODES, NON_PRODUCT_PREFIXES


@pytest.fixture(scope="module")
def retail(retail_db: Path):
    con = db.connect(retail_db)
    yield con
    con.close()


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    frame = pd.read_parquet(RETAIL_PARQUET)
    frame["line_no"] = frame.groupby("InvoiceNo", sort=False).cumcount() + 1
    return frame


def test_readme_figures(retail) -> None:
    lines, invoices, customers, cancelled, guests = retail.execute("""
        SELECT count(*), count(DISTINCT order_id), count(DISTINCT customer_id),
               count(*) FILTER (WHERE status = 'cancelled'), count(*) FILTER (WHERE customer_id IS NULL)
        FROM order_lines""").fetchall()[0]
    assert (lines, invoices, customers, cancelled, guests) == (541_909, 25_900, 4_372, 9_288, 135_080)
    assert retail.execute("SELECT count(*) FROM products").fetchall() == [(4_070,)]
    report = json.loads(retail.execute("SELECT report FROM imports WHERE kind = 'orders'").fetchall()[0][0])
    assert (report["rows_read"], report["rows_kept"], report["rows_rejected"]) == (541_909, 541_909, 0)
    assert (report["duplicates"], report["cancellations"], report["guest_lines"]) == (5_268, 9_288, 135_080)
    assert (report["orders"], report["customers"]) == (25_900, 4_372)


def test_customer_ids_and_lines_match_pandas(retail, source: pd.DataFrame) -> None:
    theirs = pd.DataFrame({
        "order_id": source["InvoiceNo"], "line_no": source["line_no"],
        "customer_id": source["CustomerID"].astype("Int64").astype("string"),
        "product_id": source["StockCode"], "quantity": source["Quantity"].astype(float),
        "unit_price": source["UnitPrice"],
        "status": source["InvoiceNo"].str.startswith("C").map({True: "cancelled", False: "completed"}),
    })
    cols = "order_id, line_no, customer_id, product_id, quantity, unit_price, status"
    cur = retail.cursor()
    cur.register("theirs", theirs)
    diff = cur.execute(f"""SELECT count(*) FROM (
        (SELECT {cols} FROM order_lines EXCEPT ALL SELECT {cols} FROM theirs)
        UNION ALL (SELECT {cols} FROM theirs EXCEPT ALL SELECT {cols} FROM order_lines))""").fetchall()[0][0]
    assert diff == 0
    assert cur.execute("SELECT count(*) FROM order_lines WHERE contains(customer_id, '.')").fetchall() == [(0,)]
    cur.close()


def test_duplicates_and_non_product_lines_match_pandas(retail, source: pd.DataFrame) -> None:
    report = json.loads(retail.execute("SELECT report FROM imports WHERE kind = 'orders'").fetchall()[0][0])
    raw = source.drop(columns="line_no")
    assert report["duplicates"] == int(raw.duplicated(keep="first").sum())
    code = source["StockCode"]
    non = code.isin(NON_PRODUCT_CODES) | code.str.startswith(NON_PRODUCT_PREFIXES)
    assert report["non_product_lines"] == int(non.sum())
    flagged = {r[0] for r in retail.execute("SELECT product_id FROM products WHERE NOT is_product").fetchall()}
    assert flagged == set(code[non])
    assert {"POST", "M", "m", "DOT", "BANK CHARGES", "AMAZONFEE"} <= flagged


def test_product_names_and_latest_prices_match_pandas(retail, source: pd.DataFrame) -> None:
    desc = source.dropna(subset=["Description"]).assign(
        name=lambda f: f["Description"].str.strip().str.replace("Â£", "£", regex=False))
    desc = desc[desc["name"] != ""]
    counts = desc.groupby(["StockCode", "name"]).size().rename("n").reset_index()
    best = counts.sort_values(["StockCode", "n", "name"], ascending=[True, False, True]).drop_duplicates("StockCode")
    expected_names = dict(zip(best["StockCode"], best["name"], strict=True))
    valid = source[(source["Quantity"] > 0) & (source["UnitPrice"] > 0) & ~source["InvoiceNo"].str.startswith("C")]
    valid = valid.assign(ts=pd.to_datetime(valid["InvoiceDate"]))
    latest = valid.sort_values(["StockCode", "ts", "InvoiceNo", "line_no"]).drop_duplicates("StockCode", keep="last")
    expected_prices = dict(zip(latest["StockCode"], latest["UnitPrice"], strict=True))
    rows = retail.execute("SELECT product_id, name, unit_price FROM products").fetchall()
    assert {p: n for p, n, _ in rows if n is not None} == expected_names
    assert {p: u for p, _, u in rows if u is not None} == expected_prices
    assert not any("Â£" in (n or "") for _, n, _ in rows)
