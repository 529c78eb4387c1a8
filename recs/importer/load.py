"""One import = one transaction: stage every file, validate it fully, then write; any failure rolls back.

A file already imported (same sha256 of its bytes, same kind) is skipped with a note, or with
`replace=True` its earlier rows are deleted and it is loaded again, inside the same transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd

from recs.db import refresh_derived
from recs.errors import InputError
from recs.importer import formats, lines, validate
from recs.importer import products as product_table
from recs.importer.readers import Source, Staged, open_source, scan_file, sniff_type, stage_file
from recs.importer.report import ImportReport

Progress = Callable[[float, str], None]
TEMP_TABLES = ("_imp_raw", "_imp_raw_csv", "_imp_lines", "_imp_spans", "_imp_newprod", "_imp_assign", "_imp_products")
TEMP_VIEWS = ("_imp_checked",)


def _nonblank(staged: Staged) -> str:
    """SQL: the row has at least one non-empty value."""
    return f"NOT ({formats.blank_sql(len(staged.columns))})"


def _no_data(path: Path) -> InputError:
    return InputError(f"{path.name}: the file has a header but no data rows")


def _stage(con, path: Path, step: Progress, encoding: str | None = None) -> Staged:
    step(0.02, "reading")
    staged = stage_file(con, path, "_imp_raw", encoding=encoding)
    if staged.rows == 0:
        raise _no_data(path)
    step(0.3, f"read {staged.rows:,} rows")
    return staged


def _resolve_orders(con, src: Source, fmt: str, mapping) -> dict[str, int]:
    """Our column -> staged column index; an empty file says so before naming missing columns."""
    layout = formats.layout_for("orders", fmt)
    try:
        return formats.resolve_columns(src.path.name, src.columns, layout, mapping, fmt)
    except InputError:
        rows = src.staged.rows if src.staged else src.execute(con, f"SELECT count(*) FROM {src.relation}"
                                                               ).fetchall()[0][0]
        if rows == 0:
            raise _no_data(src.path) from None
        raise


def _same_rows(con, fingerprint: str, replaced: list[int]) -> tuple[int, str, datetime] | None:
    """The newest orders import whose lines are still in the shop and whose typed rows equal this file's."""
    found = con.execute("""SELECT id, file_name, started_at FROM imports
        WHERE kind = 'orders' AND json_extract_string(report, '$.content_fingerprint') = ?
          AND NOT list_contains(?, id) AND id IN (SELECT DISTINCT import_id FROM order_lines)
        ORDER BY id DESC LIMIT 1""", [fingerprint, replaced]).fetchall()
    return found[0] if found else None


def _overlap(con, report: ImportReport) -> None:
    """How much of the file the shop already has: customers (for the new-shop advice) and order ids (a re-saved
    or overlapping export)."""
    report.customers_in_shop, report.orders_in_shop = con.execute(f"""SELECT
        (SELECT count(*) FROM (SELECT DISTINCT customer_id FROM {lines.LINES} WHERE NOT _blank) f
         WHERE customer_id IN (SELECT customer_id FROM orders)),
        (SELECT count(*) FROM {lines.SPANS} WHERE order_id IN (SELECT order_id FROM orders))""").fetchall()[0]


def _import_orders(con, path: Path, fmt: str, mapping, import_id: int, report: ImportReport, step: Progress,
                   encoding: str | None = None, replace: bool = False) -> bool:
    """Order lines: one typed pass over the file (`lines`), one check query, then the writes. Returns False (and
    writes nothing) when the shop already holds exactly these rows and `replace` is not set."""
    step(0.02, "reading")
    src = open_source(con, path, "_imp_raw", encoding, fmt)
    if src.staged and src.staged.rows == 0:
        raise _no_data(path)
    cols = _resolve_orders(con, src, fmt, mapping)
    sql_fmt = "online-retail" if fmt == "online-retail" else "generic"
    lines.build(con, src, sql_fmt, cols)
    step(0.3, "validating")
    checked = lines.check(con, src, sql_fmt, cols)
    if checked.kept == 0:
        raise _no_data(path)
    report.content_fingerprint = checked.fingerprint
    same = _same_rows(con, checked.fingerprint, report.replaced_import_ids)
    if same is not None:
        pid, name, when = same
        if not replace:
            report.skipped_as_already_imported = True
            report.previous_import_id, report.previous_import_at = int(pid), str(when)
            report.message = (f"already in this shop: import #{pid} ({name}, {when:%Y-%m-%d %H:%M}) holds the same "
                              f"{checked.kept:,} lines (line endings, byte-order mark or encoding aside); use --replace "
                              "to load it again")
            report.file_type = src.file_type
            return False
        con.execute("DELETE FROM order_lines WHERE import_id = ?", [int(pid)])
        report.replaced_import_ids.append(int(pid))
    _overlap(con, report)
    step(0.45, "writing order lines")
    lines.insert(con, import_id)
    step(0.75, "updating products")
    report.has_products = "product_id" in cols
    report.products_new = product_table.merge_from_lines(con, lines.PRODUCT_LINES, sql_fmt)
    step(0.9, "counting")
    report.non_product_lines = con.execute(f"SELECT count(*) FROM {lines.KEPT} WHERE product_id IN "
                                           "(SELECT product_id FROM products WHERE NOT is_product)").fetchall()[0][0]
    (report.rows_kept, report.cancellations, report.returns, report.guest_lines, report.orders, report.customers,
     report.first_at, report.last_at) = (checked.kept, checked.cancellations, checked.returns, checked.guest_lines,
                                         checked.orders, checked.customers, checked.first_at, checked.last_at)
    (report.zero_price_lines, report.negative_lines, report.not_sale_lines, report.customers_without_sales) = (
        checked.zero_price_lines, checked.negative_lines, checked.not_sale_lines, checked.customers_without_sales)
    report.rows_read = checked.rows
    report.rows_rejected = checked.rows - checked.kept
    report.duplicates = lines.duplicates(con, src, checked.repeated_hashes)
    report.file_type = src.file_type
    return True


def _existing_assignments_sql(replaced: list[int]) -> str:
    ids = ", ".join(str(int(i)) for i in replaced)
    where = f"WHERE import_id IS NULL OR import_id NOT IN ({ids})" if ids else ""
    return f"SELECT experiment_id, customer_id, min(variant) AS variant FROM assignments {where} GROUP BY ALL"


def _import_assignments(con, path: Path, mapping, import_id: int, replaced: list[int], report: ImportReport,
                        step: Progress, encoding: str | None = None) -> None:
    staged = _stage(con, path, step, encoding)
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


def _import_products(con, path: Path, mapping, report: ImportReport, step: Progress,
                     encoding: str | None = None) -> None:
    staged = _stage(con, path, step, encoding)
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
    sha, encoding = scan_file(path) if path.exists() else ("", None)
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
        if not _import_orders(con, path, fmt, mapping, import_id, report, step, encoding, replace):
            report.id = None
            step(1.0, report.message)
            return report
    elif kind == "assignments":
        _import_assignments(con, path, mapping, import_id, replaced, report, step, encoding)
    else:
        _import_products(con, path, mapping, report, step, encoding)
    if report.replaced_import_ids and kind == "orders":
        product_table.refresh_prices(con, "SELECT product_id FROM products")
    report.seconds = round(time.perf_counter() - t0, 3)
    con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [import_id, kind, path.name, sha, file_format, report.rows_read, report.rows_kept,
                 report.rows_rejected, started, datetime.now(), report.to_json()])
    step(1.0, "done")
    return report


def _drop_temps(con) -> None:
    for view in TEMP_VIEWS:
        con.execute(f"DROP VIEW IF EXISTS temp.{view}")
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
        if not path.is_file():
            raise InputError(f"{path.name}: not a file ({path} is a directory or a device); give the file itself")
    reports: list[ImportReport] = []
    con.execute("BEGIN TRANSACTION")
    try:
        for i, (kind, path) in enumerate(jobs):
            def step(frac: float, message: str, i: int = i, path: Path = path) -> None:
                if progress is not None:
                    progress(min(1.0, (i + frac) / len(jobs)), f"{path.name}: {message}")

            reports.append(_import_one(con, kind, path, fmt, replace, mapping, step))
        if not dry_run and any(r.kind == "orders" and not r.skipped_as_already_imported for r in reports):
            if progress is not None:
                progress(1.0, "updating the orders table")
            refresh_derived(con)
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
