"""Deleting an import: its order lines or assignments go, in one transaction, and the derived tables follow.

The `imports` row of the deleted import is removed (so the same file can be imported again) and a row of kind
'deletion' takes its place in the history. That row is a new import id, so `orders_version` moves on and every
stored model trained before the deletion reads as out of date, as after any import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from recs.db import refresh_derived
from recs.errors import InputError, NotFound
from recs.importer import products as product_table


@dataclass(frozen=True)
class Deletion:
    """What deleting an import removed."""

    import_id: int
    kind: str
    file_name: str
    lines_removed: int
    products_removed: int
    record_id: int  # the id of the 'deletion' row in the history

    def to_text(self) -> str:
        what = "assignments" if self.kind == "assignments" else "order lines"
        extra = f", {self.products_removed:,} product(s) no longer sold" if self.products_removed else ""
        return (f"deleted import #{self.import_id} ({self.kind}, {self.file_name}): {self.lines_removed:,} {what} "
                f"removed{extra}; recorded as #{self.record_id}. Models trained before now are out of date.")


def describe(con, import_id: int) -> dict:
    """The imports row of `import_id` as a dict (for a confirmation text); NotFound when there is none."""
    rows = con.execute("SELECT id, kind, file_name, format, rows_kept, started_at FROM imports WHERE id = ?",
                       [int(import_id)]).fetchall()
    if not rows:
        known = [r[0] for r in con.execute("SELECT id FROM imports WHERE kind <> 'deletion' ORDER BY id").fetchall()]
        shown = ", ".join(f"#{i}" for i in known[-20:]) or "none"
        raise NotFound(f"no import #{import_id} in this shop (imports: {shown})")
    keys = ("id", "kind", "file_name", "format", "rows_kept", "started_at")
    return dict(zip(keys, rows[0], strict=True))


def delete_import(con, import_id: int) -> Deletion:
    """Remove import `import_id` (orders, assignments or the demo) in one transaction: its rows, products no line
    sells any more (unless a products file defines the catalogue), the derived tables, and its history row."""
    row = describe(con, import_id)
    kind = row["kind"]
    if kind == "deletion":
        raise InputError(f"#{import_id} records an earlier deletion; there is nothing to delete")
    if kind == "products":
        raise InputError(f"import #{import_id} is a products file: its names and categories were merged into the "
                         "products table and cannot be taken out; import a corrected products file instead")
    con.execute("BEGIN TRANSACTION")
    try:
        table = "assignments" if kind == "assignments" else "order_lines"  # a fixed choice, never user text
        removed = con.execute(f"SELECT count(*) FROM {table} WHERE import_id = ?", [int(import_id)]).fetchall()[0][0]
        con.execute(f"DELETE FROM {table} WHERE import_id = ?", [int(import_id)])
        if kind == "demo":  # the demo writes its experiment's assignments under the same import
            con.execute("DELETE FROM assignments WHERE import_id = ?", [int(import_id)])
        products_removed = 0
        if table == "order_lines":
            has_catalogue = con.execute("SELECT count(*) FROM imports WHERE kind = 'products'").fetchall()[0][0]
            if not has_catalogue:
                unsold = "product_id NOT IN (SELECT product_id FROM order_lines WHERE product_id IS NOT NULL)"
                products_removed = con.execute(f"SELECT count(*) FROM products WHERE {unsold}").fetchall()[0][0]
                con.execute(f"DELETE FROM products WHERE {unsold}")
            product_table.refresh_prices(con, "SELECT product_id FROM products")
            refresh_derived(con)
        con.execute("DELETE FROM imports WHERE id = ?", [int(import_id)])
        record = int(con.execute("SELECT greatest(nextval('import_id_seq'), (SELECT coalesce(max(id), 0) + 1 "
                                 "FROM imports))").fetchall()[0][0])
        report = {"deleted_import": {k: str(v) for k, v in row.items()}, "lines_removed": int(removed),
                  "products_removed": int(products_removed)}
        now = datetime.now()
        # kind 'deletion', format = the deleted kind: orders_version ignores the deletion of assignments
        con.execute("INSERT INTO imports (id, kind, file_name, sha256, format, rows_read, rows_kept, rows_rejected, "
                    "started_at, finished_at, report) VALUES (?, 'deletion', ?, '', ?, 0, ?, 0, ?, ?, ?)",
                    [record, row["file_name"], kind, int(removed), now, now, json.dumps(report, sort_keys=True)])
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except Exception:  # the connection may be unusable; the transaction is gone either way
            pass
        raise
    return Deletion(int(import_id), kind, row["file_name"], int(removed), int(products_removed), record)

