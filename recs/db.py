"""The DuckDB warehouse: opening the file, creating the schema, and saying "busy" clearly.

DuckDB allows one writing process per file and a connection is not thread-safe. Each process
opens one connection (`connect`) and each thread or Streamlit rerun works on its own `cursor()`.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import duckdb

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


ORDERS_REFRESH = """
INSERT INTO orders
SELECT order_id, customer_id, ordered_at, revenue,
       CASE WHEN customer_id IS NOT NULL
            THEN row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) END,
       last_line_at
FROM (
    SELECT order_id, min(customer_id) AS customer_id, min(ordered_at) AS ordered_at,
           sum(quantity * unit_price) AS revenue, max(ordered_at) AS last_line_at
    FROM valid_lines
    GROUP BY order_id
)
"""
PRODUCT_SALES_REFRESH = """
INSERT INTO product_sales
WITH buyers AS (        -- distinct pairs first: 3x cheaper than count(DISTINCT) per product at 10 M lines
    SELECT product_id, count(*) AS buyers
    FROM (SELECT DISTINCT product_id, customer_id FROM valid_lines WHERE customer_id IS NOT NULL)
    GROUP BY product_id
)
SELECT l.product_id, coalesce(any_value(b.buyers), 0), sum(l.quantity), sum(l.quantity * l.unit_price), count(*),
       min(l.ordered_at), max(l.ordered_at)
FROM valid_lines AS l LEFT JOIN buyers AS b USING (product_id)
GROUP BY l.product_id
ORDER BY l.product_id
"""
PRODUCT_SALES_COLUMNS = ["product_id", "buyers", "quantity", "revenue", "lines", "first_sold", "last_sold"]
ORDERS_COLUMNS = ["order_id", "customer_id", "ordered_at", "revenue", "customer_order_no", "last_line_at"]


def init_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create tables and views if they are missing (idempotent).

    A database written by an earlier version (`orders` was a view, or a table with other columns) is upgraded
    in place: the table is rebuilt from the lines.
    """
    found = con.execute("SELECT any_value(table_type), list(column_name ORDER BY ordinal_position) "
                        "FROM information_schema.columns JOIN information_schema.tables USING (table_name) "
                        "WHERE table_name = 'orders'").fetchone()
    outdated = found[1] is not None and (found[0] == "VIEW" or list(found[1]) != ORDERS_COLUMNS)
    if outdated:
        con.execute("DROP VIEW orders" if found[0] == "VIEW" else "DROP TABLE orders")
    sales = con.execute("SELECT list(column_name ORDER BY ordinal_position) FROM information_schema.columns "
                        "WHERE table_name = 'product_sales'").fetchone()[0]
    missing_sales = found[1] is not None and (sales is None or list(sales) != PRODUCT_SALES_COLUMNS)
    if missing_sales and sales is not None:
        con.execute("DROP TABLE product_sales")
    sql = resources.files("recs").joinpath("schema.sql").read_text(encoding="utf-8")
    con.execute(sql)
    if outdated or missing_sales:
        refresh_derived(con)


def refresh_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the tables derived from `valid_lines`: `orders` and `product_sales`.

    Call it inside the same transaction as any write to order_lines (the importer and the demo writer do),
    so readers never see lines and totals that disagree.
    """
    con.execute("SET preserve_insertion_order = false")  # row order of these tables means nothing: faster writes
    try:
        con.execute("DELETE FROM orders")
        con.execute(ORDERS_REFRESH)
        con.execute("DELETE FROM product_sales")
        con.execute(PRODUCT_SALES_REFRESH)
    finally:
        con.execute("RESET preserve_insertion_order")


def has_schema(con: duckdb.DuckDBPyConnection) -> bool:
    """True when every warehouse table exists (a file made by another tool may lack them)."""
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return all(t in names for t in TABLES)


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of each warehouse table, in TABLES order (0 when the table is missing)."""
    counts: dict[str, int] = {}
    existing = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    for table in TABLES:  # names come from the fixed allowlist above, never from user text
        counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] if table in existing else 0
    return counts


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """The id of the last import (0 if none): part of every cache key, so an import refreshes pages."""
    if not has_schema(con):
        return 0
    return int(con.execute("SELECT coalesce(max(id), 0) FROM imports").fetchone()[0])


def orders_version(con: duckdb.DuckDBPyConnection) -> int:
    """The id of the last import that changed orders or products (0 if none): holdout assignments do not count,
    so a campaign export leaves trained models current."""
    if not has_schema(con):
        return 0
    return int(con.execute("SELECT coalesce(max(id), 0) FROM imports WHERE kind <> 'assignments'").fetchone()[0])


def has_orders(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the warehouse holds at least one valid order line."""
    if not has_schema(con):
        return False
    return con.execute("SELECT count(*) FROM (SELECT 1 FROM valid_lines LIMIT 1)").fetchone()[0] > 0
