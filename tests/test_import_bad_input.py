"""Bad input: every kind gets ONE clear message naming the file, the column and the first offending rows,
and the database stays exactly as it was (row counts and a checksum of every table).

Row numbers count like a spreadsheet: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from recs import db
from recs.errors import InputError
from recs.importer import import_files

HEADER = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"
GOOD = HEADER + "\n1,c1,2024-01-01 10:00,P1,1,2.5\n1,c1,2024-01-01 10:00,P2,2,1.0\n2,c2,2024-01-02,P1,1,2.5\n"
ASSIGN = "experiment_id,customer_id,variant,assigned_at\n"


def csv(name: str, text: str) -> Callable[[Path], dict]:
    def make(d: Path) -> dict:
        (d / name).write_bytes(text.encode("utf-8"))
        kind = "assignments" if name.startswith("assign") else "products" if name.startswith("products") else "orders"
        return {kind: d / name}
    return make


def raw(name: str, data: bytes) -> Callable[[Path], dict]:
    def make(d: Path) -> dict:
        (d / name).write_bytes(data)
        return {"orders": d / name}
    return make


def parquet_bad_quantity(d: Path) -> dict:
    pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["a", "b", "c"], "ordered_at": ["2024-01-01"] * 3,
                  "product_id": ["P"] * 3, "quantity": ["1", "x", "2"], "unit_price": [1.0, 2.0, 3.0]}
                 ).to_parquet(d / "orders.parquet", index=False)
    return {"orders": d / "orders.parquet"}


def xlsx_bad_date(d: Path) -> dict:
    pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "b"], "ordered_at": ["soon", "2024-01-01"],
                  "product_id": ["P", "P"], "quantity": [1, 1], "unit_price": [1.0, 2.0]}
                 ).to_excel(d / "orders.xlsx", index=False)
    return {"orders": d / "orders.xlsx"}


def zip_not_workbook(d: Path) -> dict:
    with zipfile.ZipFile(d / "orders.xlsx", "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return {"orders": d / "orders.xlsx"}


def online_retail_missing(d: Path) -> dict:
    (d / "retail.csv").write_text("InvoiceNo,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
                                  "1,x,1,2011-01-01,1,1.0,UK\n")
    return {"orders": d / "retail.csv", "fmt": "online-retail"}


def online_retail_bad_quantity(d: Path) -> dict:
    (d / "retail.csv").write_text("Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
                                  "1,A,x,1,2011-01-01,1,1.0,UK\n1,B,x,lots,2011-01-01,1,1.0,UK\n")
    return {"orders": d / "retail.csv", "fmt": "online-retail"}


def mapped_missing(d: Path) -> dict:
    (d / "orders.csv").write_text(GOOD + "3,c3,2024-01-03,P1,1,2.5\n")
    return {"orders": d / "orders.csv", "mapping": {"order_id": "Bestellung"}}


SEVEN_BAD = HEADER + "\n" + "".join(f"{i},c,2024-01-01,P,q{i},1\n" for i in range(7))

CASES = {
    "missing column": (csv("orders.csv", "order_id,customer_id,ordered_at,product_id,quantity\n1,a,2024-01-01,P,1\n"),
                       ["orders.csv", "unit_price", "columns found", "'quantity'"]),
    "unparseable timestamp": (csv("orders.csv", HEADER + "\n1,a,2024-01-01,P,1,1\n2,a,yesterday,P,1,1\n"),
                              ["orders.csv", "'ordered_at'", "row 3: 'yesterday'"]),
    "non-numeric quantity": (csv("orders.csv", HEADER + "\n1,a,2024-01-01,P,two,1\n2,a,2024-01-01,P,1,1\n"
                                 "3,a,2024-01-01,P,,1\n"), ["orders.csv", "'quantity'", "2 rows", "row 2: 'two'",
                                                            "row 4"]),
    "non-numeric price": (csv("orders.csv", HEADER + "\n1,a,2024-01-01,P,1,€5\n"),
                          ["orders.csv", "'unit_price'", "row 2: '€5'"]),
    "empty order id": (csv("orders.csv", HEADER + "\n1,a,2024-01-01,P,1,1\n,a,2024-01-01,P,1,1\n"),
                       ["orders.csv", "'order_id'", "row 3"]),
    "empty product id": (csv("orders.csv", HEADER + "\n1,a,2024-01-01,,1,1\n"),
                         ["orders.csv", "'product_id'", "row 2"]),
    "only five rows shown": (csv("orders.csv", SEVEN_BAD), ["'quantity'", "7 rows", "row 2: 'q0'", "row 6: 'q4'"]),
    "empty file": (raw("orders.csv", b""), ["orders.csv", "empty"]),
    "header only": (csv("orders.csv", HEADER + "\n"), ["orders.csv", "no data rows"]),
    "csv named parquet": (raw("orders.parquet", GOOD.encode()), ["orders.parquet", "PARQUET", "CSV"]),
    "garbage named xlsx": (raw("orders.xlsx", bytes(range(256)) * 4), ["orders.xlsx", "binary"]),
    "zip that is no workbook": (zip_not_workbook, ["orders.xlsx", "Excel"]),
    "ragged row": (csv("orders.csv", HEADER + "\n1,a,2024-01-01,P,1,1\n2,a,2024-01-01,P,1,1,EXTRA\n"),
                   ["orders.csv", "row 3", "all columns", "number of fields"]),
    "unterminated quote": (csv("orders.csv", HEADER + "\n1,a,2024-01-01,P,1,1\n2,\"a,2024-01-01,P,1,1\n"),
                           ["orders.csv", "row 3", "all columns", "quote"]),
    "unknown status": (csv("orders.csv", HEADER + ",status\n1,a,2024-01-01,P,1,1,paid\n2,a,2024-01-01,P,1,1,limbo\n"),
                       ["orders.csv", "'status'", "row 3: 'limbo'"]),
    "mistyped parquet": (parquet_bad_quantity, ["orders.parquet", "'quantity'", "row 3: 'x'"]),
    "xlsx bad date": (xlsx_bad_date, ["orders.xlsx", "'ordered_at'", "row 2: 'soon'"]),
    "online-retail missing column": (online_retail_missing, ["retail.csv", "StockCode", "columns found"]),
    "online-retail bad quantity": (online_retail_bad_quantity, ["retail.csv", "'Quantity (quantity)'", "row 3: 'lots'"]),
    "mapped column absent": (mapped_missing, ["orders.csv", "Bestellung", "columns found"]),
    "customer in two variants": (csv("assign.csv", ASSIGN + "e,c1,A,2024-01-01\ne,c2,A,2024-01-01\n"
                                     "e,c1,B,2024-01-02\n"), ["assign.csv", "'variant'", "'c1'", "row 2: 'A'",
                                                              "row 4: 'B'"]),
    "variant clashes with earlier import": (csv("assign2.csv", ASSIGN + "e,c9,B,2024-01-01\n"),
                                            ["assign2.csv", "'variant'", "row 2", "already"]),
    "empty variant": (csv("assign.csv", ASSIGN + "e,c1,,2024-01-01\n"), ["assign.csv", "'variant'", "row 2"]),
    "products duplicate id": (csv("products.csv", "product_id,name\nP,a\nP,b\n"),
                              ["products.csv", "'product_id'", "row 2", "row 3"]),
}


def snapshot(con) -> tuple:
    sums = tuple(con.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} t").fetchall()[0]
                 for table in db.TABLES)
    return db.table_counts(con), sums


@pytest.fixture(scope="module")
def loaded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with one good orders import and one assignment, so 'unchanged' means something."""
    d = tmp_path_factory.mktemp("bad-input")
    (d / "good.csv").write_text(GOOD)
    (d / "assign0.csv").write_text(ASSIGN + "e,c9,A,2024-01-01\n")
    con = db.connect(d / "template.duckdb")
    import_files(con, orders=d / "good.csv", assignments=d / "assign0.csv")
    con.close()
    return d / "template.duckdb"


@pytest.fixture
def loaded_db(loaded_template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(loaded_template, tmp_path / "loaded.duckdb"))


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_names_file_column_rows_and_changes_nothing(case: str, loaded_db: Path, tmp_path: Path) -> None:
    make, expected = CASES[case]
    d = tmp_path / "in"
    d.mkdir()
    kwargs = make(d)
    con = db.connect(loaded_db)
    before = snapshot(con)
    with pytest.raises(InputError) as info:
        import_files(con, **kwargs)
    message = str(info.value)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert "\n" not in message and "Traceback" not in message
    assert snapshot(con) == before
    # the connection is still usable and not left inside a transaction
    import_files(con, orders=_fresh_good(tmp_path))
    assert db.table_counts(con)["order_lines"] == before[0]["order_lines"] + 1


def _fresh_good(tmp_path: Path) -> Path:
    path = tmp_path / "fresh.csv"
    path.write_text(HEADER + "\n9,c,2024-02-01,P9,1,1\n")
    return path
