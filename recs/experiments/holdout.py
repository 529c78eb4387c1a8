"""Closing the loop: hold out a random control share of a campaign list and record the split.

A customer's arm is a pure function of (seed, customer id): the first 8 bytes of
sha256(f"{seed}:{customer_id}") read as a number in [0, 1) below `holdout_share` mean "control". The same
customer always lands in the same arm for a given seed, whatever else is on the list. Every customer's
variant is written to `assignments` (assigned_at = export time) in one transaction, with an `imports`
row (kind 'assignments', format 'holdout') that records the planned split for the SRM check.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from recs import sql
from recs.errors import InputError


def holdout_draw(customer_ids: Sequence[str], seed: int = 0) -> np.ndarray:
    """A uniform number in [0, 1) per customer, from sha256(seed:customer_id)."""
    out = np.empty(len(customer_ids), dtype=float)
    for i, cid in enumerate(customer_ids):
        digest = hashlib.sha256(f"{int(seed)}:{cid}".encode()).digest()
        out[i] = int.from_bytes(digest[:8], "big") / 2.0**64
    return out


def split_holdout(customer_ids: Sequence[str], holdout_share: float, seed: int = 0) -> pd.DataFrame:
    """(customer_id, variant) with variant 'control' for the held-out share, else 'treatment'. Writes nothing."""
    if not isinstance(holdout_share, int | float) or not 0 < holdout_share < 1:
        raise InputError(f"holdout share must lie strictly between 0 and 1, got {holdout_share!r}")
    ids = list(dict.fromkeys(str(c) for c in customer_ids if c is not None and str(c) != ""))
    if not ids:
        raise InputError("no customers to split: the campaign list is empty")
    draw = holdout_draw(ids, seed)
    variant = np.where(draw < holdout_share, "control", "treatment")
    return pd.DataFrame({"customer_id": pd.Series(ids, dtype=object), "variant": pd.Series(variant, dtype=object)})


def assign_holdout(con, experiment_id: str, customer_ids: Sequence[str], holdout_share: float, seed: int = 0,
                   assigned_at=None) -> pd.DataFrame:
    """Split `customer_ids` into treatment and a held-out control, record it in `assignments`, return the split.

    Refuses (InputError) an experiment id already used for a different set of customers, or for the same
    customers split differently (another seed or share). Re-running the identical export returns the recorded
    split without writing twice. The caller leaves the 'control' customers out of the exported file.
    """
    experiment_id = str(experiment_id or "").strip()
    if not experiment_id:
        raise InputError("an experiment id is needed to record a holdout (e.g. --experiment reco-email-2024-06)")
    frame = split_holdout(customer_ids, holdout_share, seed)
    existing = sql.run(con, "experiments/existing_assignments", [experiment_id]).df()
    if len(existing):
        if set(existing["customer_id"]) != set(frame["customer_id"]):
            raise InputError(f"experiment id {experiment_id!r} already exists with different customers "
                             f"({len(existing)} assigned); choose a new experiment id")
        old = dict(zip(existing["customer_id"], existing["variant"], strict=True))
        if (existing["k"] > 1).any() or any(old[c] != v for c, v in zip(frame["customer_id"], frame["variant"],
                                                                            strict=True)):
            raise InputError(f"experiment id {experiment_id!r} already exists with a different split of the same "
                             "customers (another seed or share); choose a new experiment id")
        return frame
    when = pd.Timestamp(assigned_at) if assigned_at is not None else pd.Timestamp(datetime.now(UTC).replace(tzinfo=None))
    if when.tzinfo is not None:
        when = when.tz_convert("UTC").tz_localize(None)
    report = json.dumps({"experiment_id": experiment_id, "holdout_share": float(holdout_share), "seed": int(seed),
                         "planned_split": {"control": float(holdout_share), "treatment": 1 - float(holdout_share)},
                         "customers": len(frame), "control": int((frame["variant"] == "control").sum())})
    rows = frame.assign(experiment_id=experiment_id, assigned_at=when)
    view = "holdout_rows"  # registered on this cursor only (a DuckDB cursor's registrations are its own)
    con.execute("BEGIN TRANSACTION")
    try:
        import_id = sql.run(con, "experiments/next_import_id").fetchone()[0]
        sql.run(con, "experiments/record_holdout_import", [
            import_id, f"holdout:{experiment_id}", hashlib.sha256(report.encode()).hexdigest(), len(frame),
            len(frame), when.to_pydatetime(), when.to_pydatetime(), report])
        con.register(view, rows)
        sql.run(con, "experiments/record_holdout_assignments", [import_id])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        try:
            con.unregister(view)
        except Exception:  # noqa: BLE001 - the view may never have been registered
            pass
    return frame
