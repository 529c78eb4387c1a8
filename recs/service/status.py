"""What the pages and `python -m recs refresh` know of the service without asking it: which model it serves, when
that model was last fully trained, how many posted orders it has folded in online since, how far the data drifted.
Read from the model store and the spool folder only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recs.service.serving import newest_name
from recs.service.spool import default_spool_dir, imported_through, read_records, spool_files


@dataclass(frozen=True)
class ServingStatus:
    """The served model's last full training and the orders posted since (None fields: nothing trained)."""

    model: str | None
    trained_at: str | None
    data_version: int | None
    orders_folded_in: int  # posted to the service, not in the warehouse the model was trained on
    orders_posted: int  # every order in the spool
    service_used: bool = False  # the service has run on this database (its spool folder exists)

    def sentence(self) -> str:
        if self.model is None:
            return "The API service has no trained model to serve yet."
        when = (self.trained_at or "?").replace("T", " ").removesuffix("+00:00")
        return (f"The API service serves {self.model}, last fully trained {when} UTC; it has folded in "
                f"{self.orders_folded_in:,} order(s) posted since (of {self.orders_posted:,} posted in all).")


def orders_not_seen(spool_dir: Path, data_version: int | None) -> tuple[int, int]:
    """(orders a model trained on warehouse version `data_version` has not seen, orders in the spool)."""
    marks = imported_through(spool_dir)
    seen_ids, unseen_ids = set(), set()
    for path in spool_files(spool_dir):
        mark = marks.get(path.name)
        for record in read_records(path):
            if record.kind != "order":
                continue
            order_id = str(record.data.get("order_id"))
            imported = (mark is not None and data_version is not None and mark.import_id <= data_version
                        and record.end <= mark.offset)
            (seen_ids if imported else unseen_ids).add(order_id)
    return len(unseen_ids - seen_ids), len(seen_ids | unseen_ids)


def serving_status(db_path: str | Path, model: str | None = None, spool_dir: str | Path | None = None) -> ServingStatus:
    """The status of the model the service serves by default (or `model`)."""
    from recs.models.store import stored_metas

    name = model or newest_name(db_path)
    folder = Path(spool_dir) if spool_dir is not None else default_spool_dir(db_path)
    meta: dict[str, Any] = next((m for n, m in stored_metas(db_path) if str(m.get("name") or n) == name), {})
    fingerprint = meta.get("fingerprint") if isinstance(meta.get("fingerprint"), dict) else {}
    version = fingerprint.get("last_import_id")
    unseen, total = orders_not_seen(folder, None if version is None else int(version))
    return ServingStatus(name, meta.get("trained_at"), None if version is None else int(version), unseen, total,
                         folder.is_dir())
