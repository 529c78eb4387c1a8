"""The DuckDB warehouse: opening the file, creating the schema, and saying "busy" clearly.

DuckDB allows one writing process per file and a connection is not thread-safe. Each process
opens one connection (`connect`) and each thread or Streamlit rerun works on its own `cursor()`.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import duckdb

from recs import sql
from recs.errors import DatabaseBusy, InputError

DEFAULT_DB = Path("data/demo.duckdb")
TABLES = ("order_lines", "orders", "products", "assignments", "imports")


def default_db_path() -> Path:
    """The database the app and CLI use when none is given: $REPEAT_DB or data/demo.duckdb."""
    return Path(os.environ.get("REPEAT_DB", str(DEFAULT_DB)))


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse at `path`; create it and its schema unless `read_only`.

    Raises DatabaseBusy when another process holds the file, and InputError when a read-only
    open finds no file.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise InputError(f"database not found: {path}")
    check_database_path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if _is_lock_error(exc):
            raise DatabaseBusy(
                f"database busy: {path} is open for writing in another process "
                "(the app or another command). Close it or try again in a moment."
            ) from exc
        raise InputError(f"cannot open database {path}: {exc}") from exc
    except duckdb.Error as exc:
        raise InputError(f"cannot open database {path}: it is not a DuckDB file ({exc})") from exc
    con.execute("SET enable_progress_bar = false")  # DuckDB's own bar would garble the CLI's output
    if not read_only:
        try:
            init_schema(con)
        except duckdb.Error as exc:
            con.close()
            raise InputError(f"cannot use database {path}: {exc}") from exc
    return con


def is_duckdb_file(path: Path) -> bool:
    """True when `path` is a DuckDB database file (its header carries the magic bytes "DUCK" at offset 8)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


def check_database_path(path: str | Path) -> None:
    """Refuse a path that is neither a new file nor a DuckDB database: DuckDB would open `orders.csv` as an empty
    in-memory database, and every import into it would vanish."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"cannot use {path} as a database: it is a directory; give a .duckdb file")
    if path.exists() and path.stat().st_size > 0 and not is_duckdb_file(path):
        raise InputError(f"cannot use {path} as a database: it is not a DuckDB file (give an existing .duckdb "
                         "file or a new path, e.g. data/shop.duckdb)")


PRODUCT_SALES_COLUMNS = ["product_id", "buyers", "quantity", "revenue", "lines", "first_sold", "last_sold"]
ORDERS_COLUMNS = ["order_id", "customer_id", "ordered_at", "revenue", "customer_order_no", "last_line_at"]


def init_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Make sure the tables and views exist (idempotent).

    A database written by an earlier version (`orders` was a view, or a table with other columns) is upgraded
    in place: the table is rebuilt from the lines.
    """
    found = sql.run(con, "db/orders_shape").fetchone()
    outdated = found[1] is not None and (found[0] == "VIEW" or list(found[1]) != ORDERS_COLUMNS)
    if outdated:
        sql.run(con, "db/drop_orders_view" if found[0] == "VIEW" else "db/drop_orders_table")
    sales = sql.run(con, "db/product_sales_columns").fetchone()[0]
    missing_sales = found[1] is not None and (sales is None or list(sales) != PRODUCT_SALES_COLUMNS)
    if missing_sales and sales is not None:
        sql.run(con, "db/drop_product_sales")
    con.execute(resources.files("recs").joinpath("schema.sql").read_text(encoding="utf-8"))
    if sql.run(con, "db/product_id_nullable").fetchall()[0][0] == "NO":
        sql.run(con, "db/allow_orders_only")
    if outdated or missing_sales:
        refresh_derived(con)


def refresh_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the tables derived from `valid_lines`: `orders` and `product_sales`.

    Call it inside the same transaction as any write to order_lines (the importer and the demo writer do),
    so readers never see lines and totals that disagree.
    """
    con.execute("SET preserve_insertion_order = false")  # row order of these tables means nothing: faster writes
    try:
        sql.run(con, "db/refresh_orders")
        sql.run(con, "db/refresh_product_sales")
    finally:
        con.execute("RESET preserve_insertion_order")


def has_schema(con: duckdb.DuckDBPyConnection) -> bool:
    """True when every warehouse table exists (a file made by another tool may lack them)."""
    names = {r[0] for r in sql.run(con, "db/table_names").fetchall()}
    return all(t in names for t in TABLES)


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of each warehouse table, in TABLES order (0 when the table is missing)."""
    counts: dict[str, int] = {}
    existing = {r[0] for r in sql.run(con, "db/table_names").fetchall()}
    for table in TABLES:  # names come from the fixed allowlist above (and the query's own), never from user text
        counts[table] = sql.run(con, "db/count_rows", table=table).fetchone()[0] if table in existing else 0
    return counts


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """The id of the last import (0 if none): part of every cache key, so an import refreshes pages."""
    if not has_schema(con):
        return 0
    return int(sql.run(con, "db/data_version").fetchone()[0])


def orders_version(con: duckdb.DuckDBPyConnection) -> int:
    """The id of the last import that changed orders or products (0 if none): holdout assignments do not count,
    so a campaign export leaves trained models current."""
    if not has_schema(con):
        return 0
    return int(sql.run(con, "db/orders_version").fetchone()[0])


def has_orders(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the warehouse holds at least one valid order line."""
    if not has_schema(con):
        return False
    return sql.run(con, "db/has_orders").fetchone()[0] > 0
