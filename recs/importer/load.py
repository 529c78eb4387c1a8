"""One import = one transaction: stage every file, validate it fully, then write; any failure rolls back.

A file already imported (same sha256 of its bytes, same kind) is skipped with a note, or with
`replace=True` its earlier rows are deleted and it is loaded again, inside the same transaction.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd

from recs.errors import InputError
from recs.importer import formats, validate
from recs.importer import products as product_table
from recs.importer.readers import Staged, sniff_type, stage_file
from recs.importer.report import ImportReport

Progress = Callable[[float, str], None]
TEMP_TABLES = ("_imp_raw", "_imp_raw_csv", "_imp_lines", "_imp_newprod", "_imp_assign", "_imp_products")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _nonblank(staged: Staged) -> str:
    """SQL: the row has at least one non-empty value (AND short-circuits on the first filled column)."""
    empty = " AND ".join(f"coalesce(trim(c{i}), '') = ''" for i in range(len(staged.columns)))
    return f"NOT ({empty})"


def _stage(con, path: Path, step: Progress) -> Staged:
    step(0.02, "reading")
    staged = stage_file(con, path, "_imp_raw")
    if staged.rows == 0:
        raise InputError(f"{path.name}: the file has a header but no data rows")
    step(0.3, f"read {staged.rows:,} rows")
    return staged


def _duplicates(con, staged: Staged) -> int:
    cols = ", ".join(f"c{i}" for i in range(len(staged.columns)))
    where = _nonblank(staged)
    return int(con.execute(f"SELECT coalesce(sum(n) - count(*), 0) FROM (SELECT count(*) AS n FROM _imp_raw "
                           f"WHERE {where} GROUP BY {cols})").fetchall()[0][0])


def _import_orders(con, path: Path, fmt: str, mapping, import_id: int, report: ImportReport, step: Progress) -> None:
    staged = _stage(con, path, step)
    layout = formats.ONLINE_RETAIL if fmt == "online-retail" else formats.GENERIC
    cols = formats.resolve_columns(path.name, staged.columns, layout, mapping, fmt)
    ts_col = f"c{cols['ordered_at']}"
    day_first = con.execute(formats.day_first_query(ts_col, "_imp_raw")).fetchall()[0][0] > 0
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _imp_lines AS
        SELECT _row, {formats.order_lines_select(fmt, cols, day_first)}
        FROM _imp_raw WHERE {_nonblank(staged)}""")
    step(0.45, "validating")
    validate.validate_order_lines(con, "_imp_lines", path.name, staged.columns, cols)
    step(0.55, "writing order lines")
    con.execute("""INSERT INTO order_lines
        SELECT order_id, CAST(row_number() OVER (PARTITION BY order_id ORDER BY _row) AS INTEGER), customer_id,
               ordered_at, product_id, quantity, unit_price, status, country, ?
        FROM _imp_lines""", [import_id])
    step(0.8, "updating products")
    report.products_new = product_table.merge_from_lines(con, "_imp_lines", fmt)
    step(0.9, "counting")
    stats = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE status = 'cancelled'), count(*) FILTER (WHERE status = 'returned'),
               count(*) FILTER (WHERE customer_id IS NULL), count(DISTINCT order_id), count(DISTINCT customer_id),
               CAST(min(ordered_at) AS VARCHAR), CAST(max(ordered_at) AS VARCHAR),
               count(*) FILTER (WHERE product_id IN (SELECT product_id FROM products WHERE NOT is_product))
        FROM _imp_lines""").fetchall()[0]
    (report.rows_kept, report.cancellations, report.returns, report.guest_lines, report.orders, report.customers,
     report.first_at, report.last_at, report.non_product_lines) = stats
    report.rows_read = staged.rows
    report.rows_rejected = staged.rows - report.rows_kept
    report.duplicates = _duplicates(con, staged)
    report.file_type = staged.file_type


def _existing_assignments_sql(replaced: list[int]) -> str:
    ids = ", ".join(str(int(i)) for i in replaced)
    where = f"WHERE import_id IS NULL OR import_id NOT IN ({ids})" if ids else ""
    return f"SELECT experiment_id, customer_id, min(variant) AS variant FROM assignments {where} GROUP BY ALL"


def _import_assignments(con, path: Path, mapping, import_id: int, replaced: list[int], report: ImportReport,
                        step: Progress) -> None:
    staged = _stage(con, path, step)
    cols = formats.resolve_columns(path.name, staged.columns, formats.ASSIGNMENTS, mapping, "assignments")
    c = {k: f"c{v}" for k, v in cols.items()}
    day_first = con.execute(formats.day_first_query(c["assigned_at"], "_imp_raw")).fetchall()[0][0] > 0
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _imp_assign AS
        SELECT _row, {formats.text_sql(c['experiment_id'])} AS experiment_id,
               {formats.text_sql(c['customer_id'])} AS customer_id, {formats.text_sql(c['variant'])} AS variant,
               {c['assigned_at']} AS assigned_at_raw, {formats.timestamp_sql(c['assigned_at'], day_first)} AS assigned_at
        FROM _imp_raw WHERE {_nonblank(staged)}""")
    step(0.45, "validating")
    existing = _existing_assignments_sql(replaced)
    validate.validate_assignments(con, "_imp_assign", path.name, staged.columns, cols, existing)
    step(0.6, "writing assignments")
    # Only staged column names (c0, c1, ...) and integer import ids reach this text; file values stay in tables.
    kept = con.execute(f"""INSERT INTO assignments
        SELECT experiment_id, customer_id, variant, min(assigned_at), ? FROM _imp_assign
        WHERE NOT EXISTS (SELECT 1 FROM ({existing}) e
                          WHERE e.experiment_id = _imp_assign.experiment_id AND e.customer_id = _imp_assign.customer_id)
        GROUP BY experiment_id, customer_id, variant ORDER BY min(_row)""", [import_id]).fetchall()[0][0]
    nonblank = con.execute("SELECT count(*), count(DISTINCT customer_id) FROM _imp_assign").fetchall()[0]
    report.rows_read = staged.rows
    report.rows_kept = int(kept)
    report.rows_rejected = staged.rows - nonblank[0]
    report.duplicates = nonblank[0] - int(kept)
    report.customers = nonblank[1]
    report.file_type = staged.file_type


def _import_products(con, path: Path, mapping, report: ImportReport, step: Progress) -> None:
    staged = _stage(con, path, step)
    cols = formats.resolve_columns(path.name, staged.columns, formats.PRODUCTS, mapping, "products")
    c = {k: f"c{v}" for k, v in cols.items()}
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _imp_products AS
        SELECT _row, {formats.text_sql(c['product_id'])} AS product_id,
               {formats.text_sql(c['name'])} AS name, {formats.text_sql(c.get('category'))} AS category,
               {c.get('is_product', 'NULL')} AS is_product_raw, {formats.bool_sql(c.get('is_product'))} AS is_product,
               {c.get('in_stock', 'NULL')} AS in_stock_raw, {formats.bool_sql(c.get('in_stock'))} AS in_stock,
               {'category' in c} AS has_category, {'is_product' in c} AS has_is_product,
               {'in_stock' in c} AS has_in_stock
        FROM _imp_raw WHERE {_nonblank(staged)}""")
    step(0.45, "validating")
    validate.validate_products(con, "_imp_products", path.name, staged.columns, cols)
    step(0.6, "writing products")
    report.products_new, report.products_updated = product_table.merge_from_file(con, "_imp_products")
    report.rows_read = staged.rows
    report.rows_kept = con.execute("SELECT count(*) FROM _imp_products").fetchall()[0][0]
    report.rows_rejected = staged.rows - report.rows_kept
    report.file_type = staged.file_type


def _previous(con, kind: str, sha: str) -> list[tuple[int, datetime]]:
    return con.execute("SELECT id, started_at FROM imports WHERE kind = ? AND sha256 = ? ORDER BY id DESC",
                       [kind, sha]).fetchall()


def _import_one(con, kind: str, path: Path, fmt: str, replace: bool, mapping, step: Progress) -> ImportReport:
    t0 = time.perf_counter()
    started = datetime.now()
    sha = sha256_file(path) if path.exists() else ""
    file_format = fmt if kind == "orders" else "generic"
    report = ImportReport(id=None, kind=kind, file_name=path.name, sha256=sha, format=file_format)
    prev = _previous(con, kind, sha) if sha else []
    if prev and not replace:
        pid, when = prev[0]
        report.skipped_as_already_imported = True
        report.file_type = sniff_type(path)
        report.previous_import_id, report.previous_import_at = int(pid), str(when)
        report.message = (f"already imported (import #{pid} on {when:%Y-%m-%d %H:%M}); "
                          "use --replace to load it again")
        step(1.0, report.message)
        return report
    replaced = [int(p[0]) for p in prev]
    if replaced:
        ids = [replaced]
        table = "order_lines" if kind == "orders" else "assignments" if kind == "assignments" else None
        if table:  # the table name comes from this fixed choice, the ids are parameters
            con.execute(f"DELETE FROM {table} WHERE list_contains(?, import_id)", ids)
        report.replaced_import_ids = replaced
    import_id = int(con.execute("SELECT greatest(nextval('import_id_seq'), (SELECT coalesce(max(id), 0) + 1 "
                                "FROM imports))").fetchall()[0][0])
    report.id = import_id
    if kind == "orders":
        _import_orders(con, path, fmt, mapping, import_id, report, step)
    elif kind == "assignments":
        _import_assignments(con, path, mapping, import_id, replaced, report, step)
    else:
        _import_products(con, path, mapping, report, step)
    if replaced and kind == "orders":
        product_table.refresh_prices(con, "SELECT product_id FROM products")
    report.seconds = round(time.perf_counter() - t0, 3)
    con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [import_id, kind, path.name, sha, file_format, report.rows_read, report.rows_kept,
                 report.rows_rejected, started, datetime.now(), report.to_json()])
    step(1.0, "done")
    return report


def _drop_temps(con) -> None:
    for table in TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS temp.{table}")


def import_files(con, *, orders=None, assignments=None, products=None, fmt: str = "generic", replace: bool = False,
                 mapping: dict[str, str] | None = None, progress: Progress | None = None,
                 dry_run: bool = False) -> list[ImportReport]:
    """Import order lines, experiment assignments and/or a products file in ONE transaction.

    Validates every file fully before writing; any error (bad input, an exception from `progress`)
    rolls everything back and the database stays exactly as it was. Returns one report per file
    (products first, then orders, then assignments). `dry_run` does all the work and then rolls
    back: the reports say what an import would do (the Data page's validation report).
    """
    if fmt not in formats.FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of: {', '.join(formats.FORMATS)}")
    jobs = [(kind, Path(p)) for kind, p in (("products", products), ("orders", orders),
                                            ("assignments", assignments)) if p is not None]
    if not jobs:
        raise InputError("nothing to import: give an orders, assignments or products file")
    for _, path in jobs:
        if not path.exists():
            raise InputError(f"{path.name}: file not found ({path})")
    reports: list[ImportReport] = []
    con.execute("BEGIN TRANSACTION")
    try:
        for i, (kind, path) in enumerate(jobs):
            def step(frac: float, message: str, i: int = i, path: Path = path) -> None:
                if progress is not None:
                    progress(min(1.0, (i + frac) / len(jobs)), f"{path.name}: {message}")

            reports.append(_import_one(con, kind, path, fmt, replace, mapping, step))
        _drop_temps(con)
        con.execute("ROLLBACK" if dry_run else "COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except Exception:  # the connection may already be unusable; the transaction is gone either way
            pass
        raise
    return reports


def import_history(con) -> pd.DataFrame:
    """Every import, newest first (for the Data page and its CSV download)."""
    return con.execute("""
        SELECT id, kind, file_name, format, rows_read, rows_kept, rows_rejected, started_at, finished_at,
               round(epoch(finished_at) - epoch(started_at), 2) AS seconds, sha256
        FROM imports ORDER BY id DESC""").df()
