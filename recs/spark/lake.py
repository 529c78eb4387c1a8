"""The lake: the warehouse tables a metric reads, as Parquet partitioned by month, for a cluster to read.

`export_lake(con, out)` writes (with DuckDB's COPY ... PARTITION_BY, queries in `recs/sql/lake/`):

    out/order_lines/month=YYYY-MM/*.parquet   every line, with its status (valid_lines is a view on the cluster too)
    out/orders/month=YYYY-MM/*.parquet        one row per order with a valid line (recs/schema.sql)
    out/products/products.parquet             the catalogue (no time: one file)
    out/repeat-lake.json                      the manifest: tables, columns, row counts, the warehouse's
                                              orders_version (what the app's caches are keyed by)

The folder is built beside `out` and swapped in at the end, so a failed export leaves the previous lake.
This module does not import pyspark: exporting needs only DuckDB.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from recs import db, sql
from recs.errors import InputError

MANIFEST = "repeat-lake.json"
LAKE_FORMAT = 1
# The columns a metric or ALS reads, with their Spark SQL types (recs/schema.sql); `month` is the partition folder.
LAKE_COLUMNS: dict[str, dict[str, str]] = {
    "order_lines": {"order_id": "string", "line_no": "int", "customer_id": "string", "ordered_at": "timestamp_ntz",
                    "product_id": "string", "quantity": "double", "unit_price": "double", "status": "string",
                    "country": "string", "import_id": "int", "month": "string"},
    "orders": {"order_id": "string", "customer_id": "string", "ordered_at": "timestamp_ntz", "revenue": "double",
               "customer_order_no": "bigint", "last_line_at": "timestamp_ntz", "month": "string"},
    "products": {"product_id": "string", "name": "string", "category": "string", "is_product": "boolean",
                 "in_stock": "boolean", "unit_price": "double"},
}
BY_MONTH = ("order_lines", "orders")


def table_path(lake: str | Path, table: str) -> str:
    """Where `table` lives in the lake (a folder for the monthly tables, a file for products)."""
    base = str(lake).rstrip("/")
    return f"{base}/products/products.parquet" if table == "products" else f"{base}/{table}"


def export_lake(con: Any, out: str | Path) -> dict[str, Any]:
    """Write the lake of the warehouse `con` into folder `out`; returns the manifest."""
    out = Path(out)
    if not db.has_schema(con):
        raise InputError("the database is not a Repeat warehouse (no order_lines table); import orders first")
    if out.exists() and not (out / MANIFEST).exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} exists and is not a Repeat lake (no {MANIFEST}); choose an empty or new folder")
    work = out.with_name(f".{out.name}.writing-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    (work / "products").mkdir(parents=True)
    try:
        for table in BY_MONTH:
            sql.run(con, "lake/export_by_month", {"path": table_path(work, table)}, table=table)
        sql.run(con, "lake/export_products", {"path": table_path(work, "products")})
        counts = db.table_counts(con)
        manifest = {
            "format": LAKE_FORMAT,
            "orders_version": db.orders_version(con),
            "tables": {t: {"rows": counts[t], "columns": cols, "partitioned_by": "month" if t in BY_MONTH else None}
                       for t, cols in LAKE_COLUMNS.items()},
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def read_manifest(lake: str | Path) -> dict[str, Any]:
    """The manifest of a local lake folder ({} for a remote lake such as s3a://, which the cluster checks)."""
    path = Path(str(lake))
    if "://" in str(lake):
        return {}
    if not path.is_dir():
        raise InputError(f"lake {lake}: no such folder (write one with python -m recs export-lake --db DB --out PATH)")
    manifest = path / MANIFEST
    if not manifest.exists():
        return {}
    try:
        return json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"lake {lake}: {MANIFEST} is not valid JSON ({exc})") from exc
