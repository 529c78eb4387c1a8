"""Spool to warehouse: `python -m recs import --spool DIR` and the Data page's button.

Every complete line the service spooled since the last import goes into the warehouse in ONE transaction: order
lines (orders already there, by order id, are skipped), experiment assignments (a customer already assigned in
that experiment is skipped), an `imports` row for each, and the derived tables rebuilt. Only after the commit is
each spool file marked done up to the line imported (`<file>.done`), so a crash at any point loses nothing and
imports nothing twice: a file read again is skipped line by line by the same ids. Then the files whose every
record is in the warehouse, and that no running service holds, are removed (recs/service/spool_compact.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from recs import sql
from recs.db import orders_version, refresh_derived
from recs.errors import InputError
from recs.service.spool import DoneMark, Record, read_done, read_records, spool_files, write_done
from recs.service.spool_compact import CompactReport, compact_spool

LINE_COLUMNS = ["order_id", "line_no", "customer_id", "ordered_at", "product_id", "quantity", "unit_price", "country"]
ASSIGNMENT_COLUMNS = ["experiment_id", "customer_id", "variant", "assigned_at"]


@dataclass
class SpoolReport:
    """What a spool import did."""

    files: int = 0
    orders_read: int = 0
    orders_new: int = 0
    lines_new: int = 0
    assignments_read: int = 0
    assignments_new: int = 0
    import_ids: list[int] = field(default_factory=list)
    compaction: CompactReport | None = None

    def to_text(self) -> str:
        tail = f"\n{self.compaction.to_text()}" if self.compaction is not None else ""
        if not self.orders_read and not self.assignments_read:
            return f"spool: nothing new in {self.files} file(s)" + tail
        skipped = self.orders_read - self.orders_new
        return (f"spool: {self.orders_new:,} new order(s) ({self.lines_new:,} lines), {skipped:,} already in the "
                f"warehouse; {self.assignments_new:,} new assignment(s) of {self.assignments_read:,} read; from "
                f"{self.files} file(s)" + (f"; import(s) {', '.join(f'#{i}' for i in self.import_ids)}"
                                           if self.import_ids else "") + tail)


def pending_records(folder: Path) -> tuple[list[Record], dict[Path, int]]:
    """The lines not imported yet, and how far each file was read (its new done offset)."""
    records: list[Record] = []
    ends: dict[Path, int] = {}
    for path in spool_files(folder):
        mark = read_done(path)
        start = mark.offset if mark is not None else 0
        found = list(read_records(path, start))
        if found:
            records.extend(found)
            ends[path] = found[-1].end
    return records, ends


def _frames(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, dict[str, float]]]:
    lines, assigned, planned, seen = [], [], {}, set()
    for r in records:
        d = r.data
        if r.kind == "order":
            if d.get("order_id") in seen:
                continue
            seen.add(d.get("order_id"))
            for no, line in enumerate(d.get("lines") or [], start=1):
                lines.append((str(d["order_id"]), no, str(d["customer_id"]), d["ordered_at"], str(line["product_id"]),
                              float(line["quantity"]), float(line["unit_price"]), d.get("country")))
        else:
            assigned.append((str(d["experiment_id"]), str(d["customer_id"]), str(d["variant"]), d["assigned_at"]))
            if isinstance(d.get("planned_split"), dict):
                planned[str(d["experiment_id"])] = d["planned_split"]
    line_frame = pd.DataFrame(lines, columns=LINE_COLUMNS)
    line_frame["ordered_at"] = pd.to_datetime(line_frame["ordered_at"])
    line_frame["line_no"] = line_frame["line_no"].astype("int32")
    line_frame["country"] = line_frame["country"].astype(object)
    assign_frame = pd.DataFrame(assigned, columns=ASSIGNMENT_COLUMNS).drop_duplicates(["experiment_id", "customer_id"])
    assign_frame["assigned_at"] = pd.to_datetime(assign_frame["assigned_at"])
    return line_frame, assign_frame, planned


def _digest(records: list[Record]) -> str:
    text = "\n".join(json.dumps(r.data, sort_keys=True, default=str) for r in records)
    return hashlib.sha256(text.encode()).hexdigest()


def _insert(con: Any, view: str, frame: pd.DataFrame, query: str, import_id: int) -> int:
    con.register(view, frame)
    try:
        return int(sql.run(con, query, [import_id]).fetchall()[0][0])
    finally:
        con.unregister(view)


def import_spool(con: Any, folder: str | Path, compact: bool = True, archive: str | Path | None = None) -> SpoolReport:
    """Move the spooled orders and assignments of `folder` into the warehouse (one transaction), then mark the
    spool files done and, with `compact`, remove the files whose every record is now in the warehouse and that no
    running service holds (recs.service.spool_compact), or move them into `archive`. InputError when the folder
    does not exist."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"spool folder not found: {folder}")
    records, ends = pending_records(folder)
    report = SpoolReport(files=len(spool_files(folder)))
    if not records:
        if compact:
            report.compaction = compact_spool(con, folder, archive)
        return report
    lines, assigned, planned = _frames(records)
    report.orders_read = int(lines["order_id"].nunique())
    report.assignments_read = len(assigned)
    started = datetime.now()
    con.execute("BEGIN TRANSACTION")
    try:
        mark_id = orders_version(con)
        if len(lines):
            import_id = int(sql.run(con, "experiments/next_import_id").fetchall()[0][0])
            report.lines_new = _insert(con, "spool_lines", lines, "service/insert_lines", import_id)
            if report.lines_new:
                new_orders = int(sql.run(con, "service/new_orders", [import_id]).fetchall()[0][0])
                report.orders_new = new_orders
                info = json.dumps({"source": "service spool", "orders": new_orders, "lines": report.lines_new,
                                   "orders_skipped": report.orders_read - new_orders})
                sql.run(con, "service/record_import", [
                    import_id, "orders", f"spool:{folder.name}", _digest(records), "spool", len(lines),
                    report.lines_new, started, datetime.now(), info])
                refresh_derived(con)
                report.import_ids.append(import_id)
                mark_id = import_id
        for experiment_id, rows in assigned.groupby("experiment_id", sort=True):
            import_id = int(sql.run(con, "experiments/next_import_id").fetchall()[0][0])
            kept = _insert(con, "spool_assignments", rows.reset_index(drop=True), "service/insert_assignments",
                           import_id)
            report.assignments_new += kept
            if kept:
                split = planned.get(str(experiment_id)) or {}
                info = json.dumps({"experiment_id": str(experiment_id), "source": "service spool",
                                   "planned_split": split, "customers": kept})
                sql.run(con, "service/record_import", [
                    import_id, "assignments", f"service:{experiment_id}", _digest(records), "holdout", len(rows),
                    kept, started, datetime.now(), info])
                report.import_ids.append(import_id)
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - the transaction is gone either way
            pass
        raise
    for path, end in ends.items():  # after the commit: a crash before this only means a re-read, skipped by id
        write_done(path, DoneMark(end, mark_id))
    if compact:
        report.compaction = compact_spool(con, folder, archive)
    return report


def pending_counts(folder: str | Path) -> tuple[int, int]:
    """(orders, assignments) spooled by the service and not imported yet (0, 0 when there is no spool)."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0, 0
    records, _ = pending_records(folder)
    orders = {str(r.data.get("order_id")) for r in records if r.kind == "order"}
    return len(orders), sum(r.kind == "assignment" for r in records)
