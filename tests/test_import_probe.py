"""The importer defects a reliability probe found, one case each: re-saved files, glob characters in a path,
thousands separators, blank rows and blank lines, absurd amounts and dates, repeated header names, directories.
Each bad file leaves the database as it was and names the file, column and rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from recs import db
from recs.errors import InputError
from recs.importer import import_files

HEADER = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"
ROWS = "o1,c1,2024-01-01,p1,1,2.5\no2,c2,2024-01-02,p2,2,3\n"


def imported(con, path: Path, **kwargs):
    return import_files(con, orders=path, **kwargs)[0]


def test_the_same_rows_re_saved_with_crlf_or_a_bom_are_recognised(empty_db: Path, tmp_path: Path) -> None:
    plain = tmp_path / "orders.csv"
    plain.write_text(HEADER + "\n" + ROWS)
    crlf = tmp_path / "orders_crlf.csv"
    crlf.write_bytes(b"\xef\xbb\xbf" + (HEADER + "\n" + ROWS).replace("\n", "\r\n").encode())
    shuffled = tmp_path / "orders_shuffled.csv"
    shuffled.write_text(HEADER + "\n" + "\n".join(reversed(ROWS.strip().split("\n"))) + "\n")
    con = db.connect(empty_db)
    try:
        first = imported(con, plain)
        for again in (crlf, shuffled):
            report = imported(con, again)
            assert report.skipped_as_already_imported and report.id is None
            assert f"import #{first.id} ({plain.name}" in report.message and "same 2 lines" in report.message
        assert db.table_counts(con)["order_lines"] == 2
        replaced = imported(con, crlf, replace=True)  # --replace loads it again in place of the first
        assert replaced.replaced_import_ids == [first.id] and db.table_counts(con)["order_lines"] == 2
        overlapping = tmp_path / "overlap.csv"
        overlapping.write_text(HEADER + "\no2,c2,2024-01-02,p2,2,3\no3,c3,2024-01-03,p1,1,2.5\n")
        report = imported(con, overlapping)
        assert report.orders_in_shop == 1 and "1 of the file's 2 order ids were already" in report.to_text()
    finally:
        con.close()


def test_a_path_with_glob_characters_is_that_one_file(empty_db: Path, tmp_path: Path) -> None:
    (tmp_path / "orders [final].csv").write_text(HEADER + "\n" + ROWS)
    (tmp_path / "orders f.csv").write_text(HEADER + "\no9,c9,2024-01-09,p9,9,9\n")
    (tmp_path / "orders i.csv").write_text(HEADER + "\no8,c8,2024-01-08,p8,8,8\n")
    (tmp_path / "o*.csv").write_text(HEADER + "\no7,c7,2024-01-07,p7,7,7\n")
    con = db.connect(empty_db)
    try:
        assert imported(con, tmp_path / "orders [final].csv").rows_kept == 2
        assert imported(con, tmp_path / "o*.csv").rows_kept == 1
        assert db.table_counts(con)["order_lines"] == 3
    finally:
        con.close()


@pytest.mark.parametrize("body, message", [
    ("o1,c1,2024-01-01,p1,\"1,000\",2.5\n", "column 'quantity': not a number in 1 row; first: row 2: '1,000'"),
    ("o1,c1,0001-01-01,p1,1,2.5\n", "column 'ordered_at': date outside the accepted range 1900-01-01 .. 2100-12-31"),
    ("o1,c1,9999-12-31,p1,1,2.5\n", "date outside the accepted range"),
    ("o1,c1,2024-01-01,p1,10,1e308\n", "column 'unit_price': quantity x unit price of 1,000,000,000,000,000 or more"),
    (",,,,,\n , , ,,,\n", "the file has a header but no data rows"),
])
def test_bad_values_are_refused_and_nothing_is_written(empty_db: Path, tmp_path: Path, body: str,
                                                       message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "\n" + body)
    con = db.connect(empty_db)
    try:
        with pytest.raises(InputError, match="^bad.csv: .*" + message.replace("(", r"\(").replace(")", r"\)")
                           .replace(".", r"\.").replace("*", r"\*")):
            import_files(con, orders=path)
        assert db.table_counts(con)["imports"] == 0
    finally:
        con.close()


def test_decimal_commas_still_read(empty_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "eu.csv"
    path.write_text("order_id;customer_id;ordered_at;product_id;quantity;unit_price\no1;c1;2024-01-01;p1;1,5;2,55\n")
    con = db.connect(empty_db)
    try:
        imported(con, path)
        assert con.execute("SELECT quantity, unit_price FROM order_lines").fetchall() == [(1.5, 2.55)]
    finally:
        con.close()


def test_blank_lines_before_the_header_are_skipped(empty_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "blank_top.csv"
    path.write_text("\n\n   \n" + HEADER + "\n" + ROWS)
    con = db.connect(empty_db)
    try:
        assert imported(con, path).rows_kept == 2
    finally:
        con.close()


def test_repeated_header_names_are_refused_naming_them(empty_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(HEADER + ",Quantity\no1,c1,2024-01-01,p1,1,2.5,7\n")
    con = db.connect(empty_db)
    try:
        with pytest.raises(InputError, match="dup.csv: the header names the same column more than once: 'quantity'"):
            import_files(con, orders=path)
    finally:
        con.close()


def test_a_directory_is_not_an_orders_file(empty_db: Path, tmp_path: Path) -> None:
    con = db.connect(empty_db)
    try:
        with pytest.raises(InputError, match="not a file"):
            import_files(con, orders=tmp_path)
    finally:
        con.close()


def test_a_failing_check_names_rows_from_the_typed_pass(empty_db: Path, tmp_path: Path) -> None:
    """The error path reads the rows' raw text from the one typed pass (no second read): row numbers and values
    as a spreadsheet shows them, blank rows counted."""
    path = tmp_path / "mixed.csv"
    path.write_text(HEADER + ",status\no1,c1,2024-01-01,p1,1,2.5,paid\n,,,,,,\no2,c2,2024-01-02,p2,two,3,\n"
                    "o3,c3,2024-01-03,p3,3, x ,limbo\n")
    con = db.connect(empty_db)
    try:
        with pytest.raises(InputError, match=r"mixed.csv: column 'quantity': not a number in 1 row; first: row 4: "
                                             r"'two'"):
            import_files(con, orders=path)
        path.write_text(HEADER + ",status\no1,c1,2024-01-01,p1,1,2.5,limbo\n")
        with pytest.raises(InputError, match=r"column 'status': unknown status \('limbo'.*row 2: 'limbo'"):
            import_files(con, orders=path)
    finally:
        con.close()


def test_cli_paths_and_filters_that_cannot_work_are_errors_not_tracebacks(empty_db: Path, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture) -> None:
    from recs.cli import main

    orders = tmp_path / "orders.csv"
    orders.write_text(HEADER + "\n" + ROWS)
    assert main(["import", "--db", str(empty_db), "--orders", str(orders), "--quiet"]) == 0
    cases = [
        (["metrics", "summary", "--db", str(empty_db), "--out", str(tmp_path)], "Is a directory"),
        (["metrics", "summary", "--db", str(empty_db), "--out", "/proc/x.csv"], "/proc/x.csv"),
        (["import", "--db", str(empty_db), "--orders", str(tmp_path)], "not a file"),
        (["metrics", "summary", "--db", str(empty_db), "--country", "Narnia"], "known countries: (none"),
    ]
    for args, message in cases:
        capsys.readouterr()
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and "Traceback" not in err, (args, err)
