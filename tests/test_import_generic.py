"""Generic-format imports of small hand-made files: every expected value here is computed by hand."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from recs.db import connect
from recs.importer import detect_columns, import_files, import_history, preview_file

HEADER = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def lines(con) -> list[tuple]:
    return con.execute("""SELECT order_id, line_no, customer_id, ordered_at, product_id, quantity, unit_price, status,
                                 country FROM order_lines ORDER BY order_id, line_no""").fetchall()


def test_csv_ids_kept_as_text_guests_and_line_numbers(empty_db: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "orders.csv", HEADER + ",status,product_name,category,country\n"
              "0042,007,2024-03-01 10:00:00,0001,2,3.5,,Mug,Kitchen,UK\n"
              "0042,007,2024-03-01 10:00:00,0002,1,10,Shipped,Plate,Kitchen,UK\n"
              "A-1,,2024-03-02,0001,1,3.0,refunded,Mug,Kitchen,\n"
              "0042,007,2024-03-01 10:00:00,0001,1,3.5,cancelled,Mug,Kitchen,UK\n")
    con = connect(empty_db)
    [rep] = import_files(con, orders=f)
    assert lines(con) == [
        ("0042", 1, "007", datetime(2024, 3, 1, 10), "0001", 2.0, 3.5, "completed", "UK"),
        ("0042", 2, "007", datetime(2024, 3, 1, 10), "0002", 1.0, 10.0, "completed", "UK"),
        ("0042", 3, "007", datetime(2024, 3, 1, 10), "0001", 1.0, 3.5, "cancelled", "UK"),
        ("A-1", 1, None, datetime(2024, 3, 2), "0001", 1.0, 3.0, "returned", None),
    ]
    assert (rep.rows_read, rep.rows_kept, rep.rows_rejected) == (4, 4, 0)
    assert (rep.cancellations, rep.returns, rep.guest_lines, rep.orders, rep.customers) == (1, 1, 1, 2, 1)
    assert rep.duplicates == 0 and rep.products_new == 2 and rep.kind == "orders" and rep.file_type == "csv"
    prods = con.execute("SELECT product_id, name, category, is_product, in_stock, unit_price FROM products "
                        "ORDER BY 1").fetchall()
    assert prods == [("0001", "Mug", "Kitchen", True, True, 3.5), ("0002", "Plate", "Kitchen", True, True, 10.0)]
    row = con.execute("SELECT kind, file_name, format, rows_read, rows_kept, rows_rejected FROM imports").fetchall()
    assert row == [("orders", "orders.csv", "generic", 4, 4, 0)]
    assert "rows kept" in rep.to_text() and "4" in rep.to_text()
    hist = import_history(con)
    assert list(hist["file_name"]) == ["orders.csv"]


def test_latin1_semicolon_decimal_comma_day_first(empty_db: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "export.csv", HEADER.replace(",", ";") + ";product_name\n"
              "1;c1;31/12/2024 18:30;P1;2;2,50;Crème brûlée\n"
              "2;c2;05/01/2025 09:00;P1;1;2,75;Crème brûlée\n", encoding="latin-1")
    con = connect(empty_db)
    import_files(con, orders=f)
    got = con.execute("SELECT order_id, ordered_at, unit_price FROM order_lines ORDER BY 1").fetchall()
    assert got == [("1", datetime(2024, 12, 31, 18, 30), 2.5), ("2", datetime(2025, 1, 5, 9, 0), 2.75)]
    assert con.execute("SELECT name, unit_price FROM products").fetchall() == [("Crème brûlée", 2.75)]


def test_bom_tab_delimiter_and_month_first(empty_db: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "orders.tsv", "\ufeff" + HEADER.replace(",", "\t") + "\n1\tc1\t3/4/2024 8:26\tP1\t1\t1\n")
    con = connect(empty_db)
    import_files(con, orders=f)
    assert con.execute("SELECT ordered_at FROM order_lines").fetchall() == [(datetime(2024, 3, 4, 8, 26),)]


def test_parquet_and_xlsx_read_like_csv(empty_db: Path, tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "order_id": ["0042", "0043"], "customer_id": [17850.0, None], "ordered_at": pd.to_datetime(
            ["2024-01-01 10:00", "2024-01-02 11:30"]), "product_id": ["007", "008"], "quantity": [2, 3],
        "unit_price": [1.25, 4.0],
    })
    pq = tmp_path / "orders.parquet"
    frame.to_parquet(pq, index=False)
    xl = tmp_path / "orders2.xlsx"
    frame.assign(order_id=["0044", "0045"]).to_excel(xl, index=False)
    con = connect(empty_db)
    reps = import_files(con, orders=pq)
    reps += import_files(con, orders=xl)
    assert [r.file_type for r in reps] == ["parquet", "xlsx"]
    got = con.execute("SELECT order_id, customer_id, ordered_at, product_id, quantity, unit_price FROM order_lines "
                      "ORDER BY 1").fetchall()
    assert got == [
        ("0042", "17850", datetime(2024, 1, 1, 10), "007", 2.0, 1.25),
        ("0043", None, datetime(2024, 1, 2, 11, 30), "008", 3.0, 4.0),
        ("0044", "17850", datetime(2024, 1, 1, 10), "007", 2.0, 1.25),
        ("0045", None, datetime(2024, 1, 2, 11, 30), "008", 3.0, 4.0),
    ]


def test_mapping_renames_columns_and_preview(empty_db: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "shop.csv", "Bestellung,Kunde,Datum,Artikel,Menge,Preis\n0001,K1,2024-05-01,A,1,9.99\n")
    assert detect_columns(f) == ["Bestellung", "Kunde", "Datum", "Artikel", "Menge", "Preis"]
    prev = preview_file(f, n=5)
    assert prev.iloc[0].tolist() == ["0001", "K1", "2024-05-01", "A", "1", "9.99"]
    mapping = {"order_id": "Bestellung", "customer_id": "Kunde", "ordered_at": "Datum", "product_id": "Artikel",
               "quantity": "Menge", "unit_price": "Preis"}
    con = connect(empty_db)
    import_files(con, orders=f, mapping=mapping)
    assert con.execute("SELECT order_id, customer_id, unit_price FROM order_lines").fetchall() == [("0001", "K1", 9.99)]


def test_products_most_frequent_name_tie_mojibake_and_latest_price(empty_db: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "o.csv", HEADER + ",product_name\n"
              "1,c,2024-01-01,P,1,1.0,Zebra\n"
              "2,c,2024-01-02,P,1,2.0,Apple\n"     # P: Zebra 1, Apple 1 -> tie -> Apple
              "3,c,2024-01-03,Q,1,5.0,Gift Â£10\n"
              "4,c,2024-01-05,Q,1,0,Gift £10\n"    # price 0 is not a valid price
              "5,c,2024-01-04,Q,1,6.0,other\n")    # Q: 'Gift £10' twice after the fix; latest valid price 6.0
    con = connect(empty_db)
    import_files(con, orders=f)
    assert con.execute("SELECT product_id, name, unit_price FROM products ORDER BY 1").fetchall() == [
        ("P", "Apple", 2.0), ("Q", "Gift £10", 6.0)]


def test_products_file_then_orders_fill_only_missing(empty_db: Path, tmp_path: Path) -> None:
    pf = write(tmp_path / "products.csv", "product_id,name,category,in_stock\nP,Proper name,Cups,no\n")
    of = write(tmp_path / "o.csv", HEADER + ",product_name,category\n1,c,2024-01-01,P,1,1.5,line name,Other\n"
               "2,c,2024-01-01,N,1,2,New thing,\n")
    con = connect(empty_db)
    reps = import_files(con, orders=of, products=pf)
    assert [r.kind for r in reps] == ["products", "orders"]
    assert con.execute("SELECT product_id, name, category, is_product, in_stock, unit_price FROM products ORDER BY 1"
                       ).fetchall() == [("N", "New thing", None, True, True, 2.0),
                                        ("P", "Proper name", "Cups", True, False, 1.5)]
    # a later products file updates existing rows
    pf2 = write(tmp_path / "products2.csv", "product_id,name,category,is_product\nN,Shipping,Fees,false\n")
    [rep] = import_files(con, products=pf2)
    assert (rep.products_new, rep.products_updated) == (0, 1)
    assert con.execute("SELECT name, category, is_product FROM products WHERE product_id = 'N'").fetchall() == [
        ("Shipping", "Fees", False)]


def test_assignments_import(empty_db: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "assign.csv", "experiment_id,customer_id,variant,assigned_at\n"
              "reco,007,treatment,2024-01-01\nreco,008,control,2024-01-02\nreco,007,treatment,2024-01-03\n")
    con = connect(empty_db)
    [rep] = import_files(con, assignments=f)
    assert con.execute("SELECT experiment_id, customer_id, variant, assigned_at FROM assignments ORDER BY 2"
                       ).fetchall() == [("reco", "007", "treatment", datetime(2024, 1, 1)),
                                        ("reco", "008", "control", datetime(2024, 1, 2))]
    assert (rep.rows_read, rep.rows_kept, rep.duplicates) == (3, 2, 1)


def test_orders_and_assignments_in_one_call_and_blank_rows(empty_db: Path, tmp_path: Path) -> None:
    of = write(tmp_path / "o.csv", HEADER + "\n1,c,2024-01-01,P,1,1\n,,,,,\n")
    af = write(tmp_path / "a.csv", "experiment_id,customer_id,variant,assigned_at\nx,c,A,2024-01-01\n")
    con = connect(empty_db)
    reps = import_files(con, orders=of, assignments=af)
    assert [(r.kind, r.rows_read, r.rows_kept, r.rows_rejected) for r in reps] == [
        ("orders", 2, 1, 1), ("assignments", 1, 1, 0)]
    assert con.execute("SELECT count(*) FROM imports").fetchall() == [(2,)]


def test_unknown_format_is_input_error(empty_db: Path, tmp_path: Path) -> None:
    from recs.errors import InputError

    con = connect(empty_db)
    with pytest.raises(InputError, match="unknown format"):
        import_files(con, orders=tmp_path / "x.csv", fmt="shopify")


def test_online_retail_ii_layout_csv(empty_db: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "retail2.csv",
              "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
              "489434,85048,LED LIGHT ,12,12/1/2009 7:45,6.95,13085.0,United Kingdom\n"
              "489434,POST,POSTAGE,1,12/1/2009 7:45,18,13085.0,United Kingdom\n"
              "C489449,85048,LED LIGHT,-12,12/1/2009 10:33,6.95,,United Kingdom\n"
              "489434,85048,LED LIGHT ,12,12/1/2009 7:45,6.95,13085.0,United Kingdom\n")
    con = connect(empty_db)
    [rep] = import_files(con, orders=f, fmt="online-retail")
    assert lines(con) == [
        ("489434", 1, "13085", datetime(2009, 12, 1, 7, 45), "85048", 12.0, 6.95, "completed", "United Kingdom"),
        ("489434", 2, "13085", datetime(2009, 12, 1, 7, 45), "POST", 1.0, 18.0, "completed", "United Kingdom"),
        ("489434", 3, "13085", datetime(2009, 12, 1, 7, 45), "85048", 12.0, 6.95, "completed", "United Kingdom"),
        ("C489449", 1, None, datetime(2009, 12, 1, 10, 33), "85048", -12.0, 6.95, "cancelled", "United Kingdom"),
    ]
    assert (rep.duplicates, rep.cancellations, rep.guest_lines, rep.non_product_lines) == (1, 1, 1, 1)
    assert con.execute("SELECT product_id, name, is_product FROM products ORDER BY 1").fetchall() == [
        ("85048", "LED LIGHT", True), ("POST", "POSTAGE", False)]


def test_time_zones_keep_the_wall_clock_time(empty_db: Path, tmp_path: Path) -> None:
    pq = tmp_path / "tz.parquet"
    pd.DataFrame({"order_id": ["1"], "customer_id": ["a"], "product_id": ["P"], "quantity": [1], "unit_price": [1.0],
                  "ordered_at": pd.to_datetime(["2024-01-01 10:00"]).tz_localize("Europe/Berlin")}).to_parquet(pq)
    f = write(tmp_path / "tz.csv", HEADER + "\n2,a,2024-01-01 10:00:00+02:00,P,1,1\n")
    con = connect(empty_db)
    import_files(con, orders=pq)
    import_files(con, orders=f)
    assert con.execute("SELECT ordered_at FROM order_lines ORDER BY order_id").fetchall() == [
        (datetime(2024, 1, 1, 10),), (datetime(2024, 1, 1, 10),)]
