"""XLSX reading: the text of every kind of cell, whole file and preview alike, the used range not shifting columns
or rows, and a workbook importing like the same CSV."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook

from recs.db import connect
from recs.errors import InputError
from recs.importer import import_files
from recs.importer.readers import preview_file, stage_file
from recs.importer.xlsx import read_rows

ROWS = [
    ["order_id", "customer_id", "ordered_at", "product_id", "quantity", "unit_price", 2024, None],
    ["0042", 17850, datetime(2024, 1, 1, 10, 0), "P1", 2, 1.25, True, None],
    ["0043", 17850.0, datetime(2024, 1, 2, 0, 0), "P2", 3.0, 4, False, "note"],
    ["0044", None, date(2024, 1, 3), "P3", 1, 0.1, None, None],
    [None, None, None, None, None, None, None, None],  # a blank row inside the data is kept
    ["0045", "C-9", time(9, 30), "P4", -1, 1e20, None, None],
    [None, None, None, None, None, None, None, None],  # trailing blank rows are dropped
    [None, None, None, None, None, None, None, None],
]


def workbook(path: Path, rows: list[list], start_row: int = 1, start_col: int = 1) -> Path:
    wb = Workbook()
    ws = wb.active
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.cell(row=start_row + r, column=start_col + c, value=value)
    wb.save(path)
    return path


def test_whole_file_and_preview_give_the_same_text(tmp_path: Path) -> None:
    path = workbook(tmp_path / "cells.xlsx", ROWS)
    columns, whole = read_rows(path)
    preview_columns, first = read_rows(path, limit=100)
    assert columns == preview_columns == ["order_id", "customer_id", "ordered_at", "product_id", "quantity",
                                          "unit_price", "2024", ""]
    assert whole == first
    assert whole == [
        ["0042", "17850", "2024-01-01 10:00:00", "P1", "2", "1.25", "true", None],
        ["0043", "17850", "2024-01-02 00:00:00", "P2", "3", "4", "false", "note"],
        ["0044", None, "2024-01-03 00:00:00", "P3", "1", "0.1", None, None],
        [None] * 8,
        ["0045", "C-9", "09:30:00", "P4", "-1", "1e+20", None, None],
    ]
    assert read_rows(path, limit=2)[1] == whole[:2]


def test_a_used_range_away_from_a1_keeps_columns_and_row_numbers(tmp_path: Path) -> None:
    path = workbook(tmp_path / "offset.xlsx", ROWS[:3], start_row=2, start_col=2)
    columns, rows = read_rows(path)
    assert read_rows(path, limit=10) == (columns, rows)
    assert columns == [""] * 9  # row 1 is empty: it is the header, as in a spreadsheet; A to I (the "note")
    assert rows[0] == [None, "order_id", "customer_id", "ordered_at", "product_id", "quantity", "unit_price",
                       "2024", None]
    assert rows[2][-1] == "note" and len(rows) == 3


def test_xlsx_imports_like_csv_and_preview_matches(empty_db: Path, tmp_path: Path) -> None:
    path = workbook(tmp_path / "orders.xlsx", [r[:6] for r in ROWS[:4]])
    con = connect(empty_db)
    staged = stage_file(con, path, "t")
    assert (staged.file_type, staged.rows) == ("xlsx", 3)
    assert con.execute("SELECT _row, c0 FROM t ORDER BY _row").fetchall() == [(2, "0042"), (3, "0043"), (4, "0044")]
    preview = preview_file(path, n=2)
    assert preview.iloc[0].tolist() == ["0042", "17850", "2024-01-01 10:00:00", "P1", "2", "1.25"]
    report = import_files(con, orders=path)[0]
    assert report.rows_kept == 3
    got = con.execute("SELECT order_id, customer_id, ordered_at, quantity FROM order_lines ORDER BY 1").fetchall()
    assert got == [("0042", "17850", datetime(2024, 1, 1, 10), 2.0), ("0043", "17850", datetime(2024, 1, 2), 3.0),
                   ("0044", None, datetime(2024, 1, 3), 1.0)]
    con.close()


def test_empty_and_broken_workbooks_are_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    Workbook().save(empty)
    for limit in (None, 5):
        with pytest.raises(InputError, match="empty.xlsx: the first worksheet is empty"):
            read_rows(empty, limit)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + bytes(200))
    for limit in (None, 5):
        with pytest.raises(InputError, match="broken.xlsx: not a readable Excel .xlsx workbook"):
            read_rows(broken, limit)


@pytest.mark.parametrize("with_data", [False, True])
def test_a_stray_cell_at_the_last_column_and_row_is_refused_without_reading_the_grid(
        tmp_path: Path, empty_db: Path, with_data: bool) -> None:
    """One cell at XFD1048576 asked calamine for 549 GB and aborted the process (CLI and app server alike)."""
    rows = [r[:6] for r in ROWS[:2]] if with_data else []
    path = workbook(tmp_path / "far.xlsx", rows)
    wb_path = path
    from openpyxl import load_workbook
    wb = load_workbook(wb_path)
    wb.active["XFD1048576"] = "x"
    wb.save(wb_path)
    message = r"far.xlsx: the first worksheet has a cell as far as XFD1048576.*17,179,869,184 cells"
    with pytest.raises(InputError, match=message):
        preview_file(path)
    con = connect(empty_db)
    try:
        with pytest.raises(InputError, match=message):
            import_files(con, orders=path)
    finally:
        con.close()
