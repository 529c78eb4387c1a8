"""The one-pass order-line import (recs/importer/lines.py): line numbers, exact duplicates, dates, numbers,
statuses and the file scan, on small hand-made files whose expected values are worked out by hand.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from recs.db import connect
from recs.errors import InputError
from recs.importer import formats, import_files, lines
from recs.importer.readers import open_source, scan_file

HEADER = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"
COLS = {name: i for i, name in enumerate(HEADER.split(","))}


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def numbered(con) -> list[tuple]:
    return con.execute("SELECT order_id, line_no, product_id FROM order_lines ORDER BY order_id, line_no").fetchall()


def test_line_numbers_follow_the_file_when_orders_interleave(empty_db: Path, tmp_path: Path) -> None:
    # A and B alternate; C is split by a blank row; D is contiguous (the span shortcut), E has one line
    f = write(tmp_path / "o.csv", HEADER + "\n"
              "A,c,2024-01-01,P1,1,1\n"
              "B,c,2024-01-01,P2,1,1\n"
              "A,c,2024-01-01,P3,1,1\n"
              "B,c,2024-01-01,P4,1,1\n"
              "C,c,2024-01-01,P5,1,1\n"
              ",,,,,\n"
              "C,c,2024-01-01,P6,1,1\n"
              "D,c,2024-01-02,P7,1,1\n"
              "D,c,2024-01-02,P8,1,1\n"
              "D,c,2024-01-02,P9,1,1\n"
              "A,c,2024-01-01,P10,1,1\n"
              "E,c,2024-01-03,P1,1,1\n")
    con = connect(empty_db)
    [rep] = import_files(con, orders=f)
    assert numbered(con) == [("A", 1, "P1"), ("A", 2, "P3"), ("A", 3, "P10"), ("B", 1, "P2"), ("B", 2, "P4"),
                             ("C", 1, "P5"), ("C", 2, "P6"), ("D", 1, "P7"), ("D", 2, "P8"), ("D", 3, "P9"),
                             ("E", 1, "P1")]
    assert (rep.rows_read, rep.rows_kept, rep.rows_rejected, rep.orders) == (12, 11, 1, 5)


def test_duplicates_are_rows_with_the_same_text(empty_db: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "o.csv", HEADER + ",status\n"
              "1,c,2024-01-01,P,1,2.5,paid\n"
              "1,c,2024-01-01,P,1,2.5,paid\n"      # the same text: a duplicate
              "1,c,2024-01-01,P,1.0,2.5,paid\n"    # the same values, other text: not a duplicate
              "1,c ,2024-01-01,P,1,2.5,paid\n"     # a trailing space: not a duplicate
              "1,c,2024-01-01,P,1,2.5,Paid\n"      # other case: not a duplicate
              ",,,,,,\n"
              ",,,,,,\n"                           # blank rows are rejected, never duplicates
              "1,c,2024-01-01,P,1,2.5,paid\n")     # a third copy: two duplicates in all
    con = connect(empty_db)
    [rep] = import_files(con, orders=f)
    assert (rep.duplicates, rep.rows_read, rep.rows_kept, rep.rows_rejected) == (2, 8, 6, 2)
    assert numbered(con) == [("1", n, "P") for n in range(1, 7)]


def test_duplicates_are_confirmed_on_the_text(empty_db: Path, tmp_path: Path) -> None:
    """A repeated hash only selects rows to compare; the count comes from comparing their text."""
    f = write(tmp_path / "o.csv", HEADER + "\n1,a,2024-01-01,P,1,1\n2,b,2024-01-01,P,1,1\n"
              "1,a,2024-01-01,P,1,1\n3,c,2024-01-01,P,1,1\n")
    con = connect(empty_db)
    con.execute("BEGIN")
    src = open_source(con, f, "_imp_raw")
    lines.build(con, src, "generic", COLS)
    checked = lines.check(con, src, "generic", COLS)
    assert (checked.repeated_hashes, lines.duplicates(con, src, checked.repeated_hashes)) == (1, 1)
    # claim that every row repeats one hash (the first row's): still one duplicate, by text
    con.execute(f"UPDATE {lines.LINES} SET _h = (SELECT _h FROM {lines.LINES} ORDER BY rowid LIMIT 1)")
    assert lines.duplicates(con, src, 3) == 1
    assert lines.duplicates(con, src, 0) == 0  # no repeated hash: no text comparison at all
    con.execute("ROLLBACK")


def test_iso_slash_and_day_first_dates_in_one_file(empty_db: Path, tmp_path: Path) -> None:
    # 13/01 proves day-first, so 02/03/2024 is the 2nd of March; ISO text, padded or not, is read as ISO
    f = write(tmp_path / "o.csv", HEADER + "\n"
              "1,c,2024-05-06 07:08:09,P,1,1\n"
              "2,c,\" 2024-05-07 \",P,1,1\n"
              "3,c,13/01/2024 10:00,P,1,1\n"
              "4,c,02/03/2024,P,1,1\n"
              "5,c,31.12.2023 23:59,P,1,1\n")
    con = connect(empty_db)
    [rep] = import_files(con, orders=f)
    got = con.execute("SELECT order_id, ordered_at FROM order_lines ORDER BY 1").fetchall()
    assert got == [("1", datetime(2024, 5, 6, 7, 8, 9)), ("2", datetime(2024, 5, 7)), ("3", datetime(2024, 1, 13, 10)),
                   ("4", datetime(2024, 3, 2)), ("5", datetime(2023, 12, 31, 23, 59))]
    assert (rep.first_at, rep.last_at) == ("2023-12-31 23:59:00", "2024-05-07 00:00:00")


def test_month_first_without_proof(empty_db: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "o.csv", HEADER + "\n1,c,2024-05-06,P,1,1\n2,c,02/03/2024 08:00,P,1,1\n")
    con = connect(empty_db)
    import_files(con, orders=f)
    got = con.execute("SELECT ordered_at FROM order_lines ORDER BY order_id").fetchall()
    assert got == [(datetime(2024, 5, 6),), (datetime(2024, 2, 3, 8),)]


def test_number_and_status_spellings(empty_db: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "o.csv", HEADER.replace(",", ";") + ";status\n"
              "1;c;2024-01-01; P ; 2 ;2,50;Completed\n"
              "2;c;2024-01-01;P;\t3\t;-1,5; PAID \n"
              "3;c;2024-01-01;P;1e1;+,5;refund\n"
              "4;c;2024-01-01;P;4;1.25;\n"
              "5;c;2024-01-01;P;5;7;cancelled\n")
    con = connect(empty_db)
    [rep] = import_files(con, orders=f)
    got = con.execute("SELECT order_id, product_id, quantity, unit_price, status FROM order_lines ORDER BY 1"
                      ).fetchall()
    assert got == [("1", "P", 2.0, 2.5, "completed"), ("2", "P", 3.0, -1.5, "completed"),
                   ("3", "P", 10.0, 0.5, "returned"), ("4", "P", 4.0, 1.25, "completed"),
                   ("5", "P", 5.0, 7.0, "cancelled")]
    assert (rep.cancellations, rep.returns) == (1, 1)


def test_bad_value_after_blank_rows_names_its_spreadsheet_row(empty_db: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "o.csv", HEADER + ",status\n1,c,2024-01-01,P,1,1,\n,,,,,,\n,,,,,,\n"
              "2,c,2024-01-01,P,many,1,\n3,c,2024-01-01,P,1,1,lost\n")
    con = connect(empty_db)
    with pytest.raises(InputError, match=r"o\.csv: column 'quantity': not a number in 1 row; first: row 5"):
        import_files(con, orders=f)
    assert con.execute("SELECT count(*) FROM order_lines").fetchall() == [(0,)]
    g = write(tmp_path / "p.csv", HEADER + ",status\n1,c,2024-01-01,P,1,1,\n,,,,,,\n3,c,2024-01-01,P,1,1,lost\n")
    with pytest.raises(InputError, match=r"column 'status': unknown status \('lost'.*row 4"):
        import_files(con, orders=g)


def test_parquet_blank_rows_duplicates_and_line_numbers(empty_db: Path, tmp_path: Path) -> None:
    frame = pd.DataFrame({"order_id": ["9", "8", None, "9", "9"], "customer_id": ["a", "b", None, "a", "a"],
                          "ordered_at": ["2024-01-01", "2024-01-02", None, "2024-01-01", "2024-01-01"],
                          "product_id": ["X", "Y", None, "Z", "X"], "quantity": [1.0, 2.0, None, 3.0, 1.0],
                          "unit_price": [1.5, 2.0, None, 1.0, 1.5]})
    frame.to_parquet(tmp_path / "o.parquet", index=False)
    con = connect(empty_db)
    [rep] = import_files(con, orders=tmp_path / "o.parquet")
    assert numbered(con) == [("8", 1, "Y"), ("9", 1, "X"), ("9", 2, "Z"), ("9", 3, "X")]
    assert (rep.rows_read, rep.rows_kept, rep.rows_rejected, rep.duplicates, rep.file_type) == (5, 4, 1, 1, "parquet")


def test_scan_file_hash_and_encoding(tmp_path: Path) -> None:
    edge = 1 << 20  # the scan reads 1 MiB chunks: put a two-byte character across the first boundary
    body = b"a" * (edge - 1) + "é".encode() + b"tail\n"
    ok = tmp_path / "ok.csv"
    ok.write_bytes(body)
    assert scan_file(ok) == (hashlib.sha256(body).hexdigest(), "utf-8")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"a" * (edge + 10) + "é".encode("latin-1") + b"\n")
    assert scan_file(latin)[1] == "latin-1"
    cut = tmp_path / "cut.csv"
    cut.write_bytes(b"abc" + "é".encode()[:1])  # a character cut off at the end of the file
    assert scan_file(cut)[1] == "latin-1"


def test_fast_query_matches_the_text_staged_expressions(empty_db: Path, tmp_path: Path) -> None:
    """The one-pass SELECT and the text-staged SELECT (used to explain errors) give the same typed rows."""
    f = write(tmp_path / "o.csv", HEADER + ",status,product_name,category,country\n"
              "1,c,2024-01-01 10:00,P,1,\"2,5\",Shipped, Mug ,Kitchen, UK \n"
              "2, ,01/02/2024,Q, 2 ,3,,,,\n"
              "3,d,2024-13-45,R,x,y,weird,n,c,\n")
    con = connect(empty_db)
    con.execute("BEGIN")
    src = open_source(con, f, "_imp_raw")
    cols = {**COLS, "status": 6, "product_name": 7, "category": 8, "country": 9}
    lines.build(con, src, "generic", cols)
    fast = con.execute(f"SELECT order_id, customer_id, ordered_at, product_id, quantity, unit_price, status, "
                       f"nullif(trim(product_name_raw), ''), nullif(trim(category_raw), ''), country "
                       f"FROM {lines.LINES} ORDER BY rowid").fetchall()
    from recs.importer.readers import stage_file
    staged = stage_file(con, f, "_imp_raw")
    slow = con.execute(f"SELECT order_id, customer_id, ordered_at, product_id, quantity, unit_price, status, "
                       f"product_name, category, country FROM (SELECT _row, "
                       f"{formats.order_lines_select('generic', cols, False)} FROM {staged.table}) ORDER BY _row"
                       ).fetchall()
    con.execute("ROLLBACK")
    assert fast == slow
    assert fast[0][4:7] == (1.0, 2.5, "completed") and fast[1][2] == datetime(2024, 1, 2)
    assert fast[2][2] is None and fast[2][4] is None and fast[2][6] is None


def test_latest_price_at_a_shared_moment_goes_by_import_order_and_line(empty_db: Path) -> None:
    from recs.importer.products import refresh_prices

    con = connect(empty_db)
    con.execute("INSERT INTO products VALUES ('A', 'a', NULL, true, true, NULL), ('B', 'b', NULL, true, true, NULL), "
                "('C', 'c', NULL, true, true, NULL)")
    con.execute("""INSERT INTO order_lines VALUES
        ('o1', 1, 'c', '2024-01-01 10:00', 'A', 1, 1.0, 'completed', NULL, 1),
        ('o2', 1, 'c', '2024-01-02 10:00', 'A', 1, 2.0, 'completed', NULL, 1),
        ('o3', 1, 'c', '2024-01-02 10:00', 'A', 1, 3.0, 'completed', NULL, 1),
        ('o3', 2, 'c', '2024-01-02 10:00', 'A', 1, 4.0, 'completed', NULL, 1),
        ('o1', 1, 'c', '2024-01-02 10:00', 'A', 1, 5.0, 'completed', NULL, 2),
        ('o9', 1, 'c', '2024-01-03 10:00', 'A', 1, 9.0, 'cancelled', NULL, 2),
        ('o1', 2, 'c', '2024-01-01 10:00', 'B', 1, 7.0, 'completed', NULL, 1),
        ('o1', 3, 'c', '2024-01-05 10:00', 'B', 0, 8.0, 'completed', NULL, 1)""")
    refresh_prices(con, "SELECT product_id FROM products")
    # A: the cancelled 9.0 is no sale; of the four lines at 01-02 10:00 the later import wins (5.0);
    # B: the zero-quantity line is no sale (7.0); C: never sold
    assert con.execute("SELECT product_id, unit_price FROM products ORDER BY 1").fetchall() == [
        ("A", 5.0), ("B", 7.0), ("C", None)]
