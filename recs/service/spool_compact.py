"""Spool compaction: once `import --spool` has moved a spool file into the warehouse, the file can go.

A file is removed (or moved to an archive folder) only when all of these hold, so nothing acknowledged is lost:
no running service holds it (its writer's lock is free: the file can no longer grow), its done mark covers every
complete line, and every order id and every (experiment, customer) assignment in it is found in the warehouse.
The done mark stays, so a running service still counts the file's orders as imported. `import --spool` compacts
after its commit; `python -m recs api compact` does it on demand, optionally into an archive folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from recs import sql
from recs.service.spool import in_use, read_done, read_records, spool_files, sync_dir


@dataclass
class CompactReport:
    """What compaction did with each spool file."""

    removed: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    in_use: list[str] = field(default_factory=list)
    not_imported: list[str] = field(default_factory=list)
    missing: dict[str, int] = field(default_factory=dict)  # file -> records not found in the warehouse

    def to_text(self) -> str:
        done = (f"{len(self.archived)} spool file(s) archived" if self.archived
                else f"{len(self.removed)} spool file(s) removed")
        kept = []
        if self.in_use:
            kept.append(f"{len(self.in_use)} in use by a running service")
        if self.not_imported:
            kept.append(f"{len(self.not_imported)} not fully imported")
        if self.missing:
            records = sum(self.missing.values())
            kept.append(f"{len(self.missing)} holding {records:,} record(s) not found in the warehouse "
                        f"({', '.join(sorted(self.missing))})")
        if not (self.removed or self.archived or kept):
            return "compaction: no spool file to remove"
        return f"compaction: {done} (every record in the warehouse)" + (f"; kept {', '.join(kept)}" if kept else "")


def _missing(con: Any, records: list) -> int:
    """Records of one file not found in the warehouse (orders by id, assignments by experiment and customer)."""
    orders = pd.DataFrame({"order_id": sorted({str(r.data.get("order_id")) for r in records if r.kind == "order"})},
                          dtype=object)
    assigned = pd.DataFrame(sorted({(str(r.data.get("experiment_id")), str(r.data.get("customer_id")))
                                    for r in records if r.kind == "assignment"}),
                            columns=["experiment_id", "customer_id"], dtype=object)
    missing = 0
    for view, frame, query in (("spool_order_ids", orders, "service/missing_orders"),
                               ("spool_assigned", assigned, "service/missing_assignments")):
        if len(frame):
            con.register(view, frame)
            try:
                missing += int(sql.run(con, query).fetchall()[0][0])
            finally:
                con.unregister(view)
    return missing


def compact_spool(con: Any, folder: str | Path, archive: str | Path | None = None) -> CompactReport:
    """Remove (or move into `archive`) the spool files of `folder` whose every record is in the warehouse of `con`
    and that no running service holds; their done marks stay."""
    folder = Path(folder)
    report = CompactReport()
    target = Path(archive) if archive is not None else None
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
    for path in spool_files(folder):
        if in_use(path):
            report.in_use.append(path.name)
            continue
        mark = read_done(path)
        if mark is None or next(iter(read_records(path, mark.offset)), None) is not None:
            report.not_imported.append(path.name)
            continue
        missing = _missing(con, list(read_records(path)))
        if missing:
            report.missing[path.name] = missing
            continue
        if target is not None:
            if path.stat().st_dev == target.stat().st_dev:
                os.replace(path, target / path.name)
            else:
                _copy_then_remove(path, target)
            sync_dir(target)
            report.archived.append(path.name)
        else:
            path.unlink()
            report.removed.append(path.name)
        sync_dir(folder)
    return report


def _copy_then_remove(path: Path, folder: Path) -> None:
    """Archive across file systems: a durable copy first, then the original goes."""
    tmp = folder / f".{path.name}.tmp"
    with open(path, "rb") as source, open(tmp, "wb") as copy:
        copy.write(source.read())
        copy.flush()
        os.fsync(copy.fileno())
    os.replace(tmp, folder / path.name)
    sync_dir(folder)
    path.unlink()
