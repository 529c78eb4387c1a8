"""Stored predictions beside the models: `<db file>.models/predictions/<data version>/<item>.json` (+ Parquet).

An item is what a page shows: a shop-wide forecast (per horizon and model), the recent backtest (per horizon) or
the due-to-re-buy list. Each is one or two Parquet files (the frames) and a small JSON (the metadata: cutoff, used
model, notes, best's choice, each Parquet file's SHA-256 and row count). The JSON is written last and is the
authority; every file is written atomically (temporary file, then rename), so a reader sees the old item or the
new one, never half of one. An item whose computation said the shop cannot be predicted (too little history) is
stored as a JSON with the message, so nobody recomputes it for the same data.

The data version is the data fingerprint model runs use (`recs.training.data_fingerprint`: last import of orders
or products, valid line count, last order time), so a stored forecast is stale exactly when a model run is, and a
rebuilt shop with the same import number is not mistaken for the old one. A reader needs no database: the folder
name and each JSON carry the fingerprint (the live service may read these files). Damaged files raise
`DamagedPredictions` with the reason; callers treat them as missing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from recs import sql
from recs.atomic import write_atomic
from recs.errors import RepeatError
from recs.models.store import models_dir
from recs.predict.backtest import Backtest
from recs.predict.forecast import Forecast

PREDICTIONS = "predictions"
FORMAT = 1
KINDS = ("forecast", "backtest", "rebuy")


class DamagedPredictions(RepeatError):
    """A stored prediction whose files cannot be read; the message names the file and the reason."""


@dataclass(frozen=True)
class Item:
    """One stored prediction: a forecast (horizon, model), the recent backtest (horizon) or re-buy (days)."""

    kind: str
    days: int
    model: str = ""

    @property
    def name(self) -> str:
        """The file stem: forecast-90-best, backtest-90, rebuy-30."""
        return f"{self.kind}-{self.days}" + (f"-{self.model}" if self.model else "")

    def describe(self) -> str:
        """In words, for progress lines."""
        if self.kind == "forecast":
            return f"the {self.days}-day forecast ({self.model})"
        if self.kind == "backtest":
            return f"the backtest on the last {self.days} days"
        return f"who is due to re-buy in the next {self.days} days"


@dataclass(frozen=True)
class Stored:
    """A stored item as read back: its value (Forecast, Backtest or the re-buy frame) or the error that stopped it
    (`error`, e.g. too little history), and the data it was computed on."""

    item: Item
    value: Any
    error: str | None
    fingerprint: dict[str, Any]
    computed_at: str
    seconds: float


def predictions_dir(db_path: str | Path) -> Path:
    """The folder holding a database's stored predictions (beside its model runs)."""
    return models_dir(db_path) / PREDICTIONS


def database_file(con) -> Path | None:
    """The file of the database `con` (a connection or cursor) works on, None for an in-memory one: lets a
    caller that only holds the connection (the campaign audiences) find the stored predictions."""
    row = sql.run(con, "predict/database_file").fetchone()
    return None if row is None or row[0] is None else Path(row[0])


def version_name(fingerprint: dict[str, Any]) -> str:
    """The folder of one data version: import-<last import>-<12 hex digits of the whole fingerprint>."""
    text = json.dumps(fingerprint, sort_keys=True, default=str)
    return f"import-{int(fingerprint.get('last_import_id') or 0)}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def version_dir(db_path: str | Path, fingerprint: dict[str, Any]) -> Path:
    """The folder of the predictions made on the data described by `fingerprint`."""
    return predictions_dir(db_path) / version_name(fingerprint)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _frames(value: Any, kind: str) -> dict[str, pd.DataFrame]:
    if kind == "forecast":
        frame = value.frame.copy()
        if value.revenue_to_date is not None:
            frame["revenue_to_date"] = value.revenue_to_date.to_numpy()
        return {"frame": frame}
    if kind == "backtest":
        return {"table": value.table, "calibration": value.calibration}
    return {"frame": value}


def _meta(value: Any, kind: str) -> dict[str, Any]:
    if kind == "forecast":
        return {"cutoff": value.cutoff.isoformat(), "horizon_days": value.horizon_days, "model": value.model,
                "used": value.used, "notes": list(value.notes), "choice_scores": value.choice_scores,
                "fit_seconds": value.fit_seconds, "history_days": value.history_days,
                "has_revenue_to_date": value.revenue_to_date is not None}
    if kind == "backtest":
        return {"cutoff": value.cutoff.isoformat(), "horizon_days": value.horizon_days,
                "best_choice": value.best_choice, "actual_orders": value.actual_orders,
                "actual_revenue": value.actual_revenue, "notes": list(value.notes)}
    return {}


def save(db_path: str | Path, fingerprint: dict[str, Any], item: Item, value: Any = None, error: str | None = None,
         seconds: float = 0.0) -> Path:
    """Store `value` (or the `error` that stopped its computation) as `item` of the data version `fingerprint`;
    returns the JSON's path. Parquet files first, the JSON last, each atomically."""
    if item.kind not in KINDS:
        raise ValueError(f"unknown prediction kind {item.kind!r}")
    folder = version_dir(db_path, fingerprint)
    meta: dict[str, Any] = {"format": FORMAT, "kind": item.kind, "days": item.days, "model": item.model,
                            "fingerprint": fingerprint, "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
                            "seconds": round(float(seconds), 3)}
    if error is not None:
        meta["error"] = str(error)
    else:
        files = {}
        for part, frame in _frames(value, item.kind).items():
            target = folder / f"{item.name}.{part}.parquet"
            write_atomic(target, lambda tmp, frame=frame: frame.to_parquet(tmp, index=False))
            files[part] = {"file": target.name, "rows": len(frame), "sha256": _sha256(target)}
        meta["files"] = files
        meta["meta"] = _meta(value, item.kind)
    target = folder / f"{item.name}.json"
    text = json.dumps(meta, indent=2, default=str)
    write_atomic(target, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return target


def _read_frame(folder: Path, entry: dict[str, Any]) -> pd.DataFrame:
    path = folder / str(entry["file"])
    if Path(entry["file"]).name != entry["file"]:
        raise ValueError(f"file name {entry['file']!r} points outside its folder")
    if _sha256(path) != entry["sha256"]:
        raise ValueError(f"{path.name} does not match its checksum (changed or cut short after it was written)")
    frame = pd.read_parquet(path)
    if len(frame) != int(entry["rows"]):
        raise ValueError(f"{path.name} has {len(frame)} rows, its metadata says {entry['rows']}")
    return frame


def _value(kind: str, frames: dict[str, pd.DataFrame], meta: dict[str, Any]) -> Any:
    if kind == "forecast":
        frame = frames["frame"]
        revenue = None
        if meta.get("has_revenue_to_date"):
            revenue = frame["revenue_to_date"].rename("revenue").reset_index(drop=True)
        frame = frame.drop(columns="revenue_to_date", errors="ignore")
        return Forecast(frame=frame, cutoff=pd.Timestamp(meta["cutoff"]), horizon_days=int(meta["horizon_days"]),
                        model=str(meta["model"]), used=str(meta["used"]), notes=tuple(meta.get("notes", ())),
                        choice_scores=dict(meta.get("choice_scores") or {}),
                        fit_seconds=float(meta.get("fit_seconds", 0.0)), revenue_to_date=revenue,
                        history_days=int(meta.get("history_days", 0)))
    if kind == "backtest":
        return Backtest(table=frames["table"], calibration=frames["calibration"], cutoff=pd.Timestamp(meta["cutoff"]),
                        horizon_days=int(meta["horizon_days"]), best_choice=str(meta["best_choice"]),
                        actual_orders=float(meta["actual_orders"]), actual_revenue=float(meta["actual_revenue"]),
                        notes=tuple(meta.get("notes", ())))
    return frames["frame"]


def read(path: Path) -> Stored:
    """The stored item whose JSON is `path`; DamagedPredictions (with the reason) when it cannot be read."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("kind") not in KINDS:
            raise ValueError("not a stored prediction of this version of Repeat")
        item = Item(str(meta["kind"]), int(meta["days"]), str(meta.get("model") or ""))
        value = None
        if meta.get("error") is None:
            frames = {part: _read_frame(path.parent, entry) for part, entry in meta["files"].items()}
            value = _value(item.kind, frames, meta["meta"])
        return Stored(item=item, value=value, error=meta.get("error"), fingerprint=dict(meta["fingerprint"]),
                      computed_at=str(meta.get("computed_at", "")), seconds=float(meta.get("seconds", 0.0)))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, ArithmeticError) as exc:
        reason = "the file is not valid JSON" if isinstance(exc, json.JSONDecodeError) else (
            f"missing field {exc}" if isinstance(exc, KeyError) else str(exc) or type(exc).__name__)
        raise DamagedPredictions(f"stored prediction {path} is damaged: {reason}") from exc
    except Exception as exc:  # pyarrow's own errors on a cut or overwritten Parquet file
        raise DamagedPredictions(f"stored prediction {path} is damaged: {type(exc).__name__}: {exc}") from exc


def load(db_path: str | Path, fingerprint: dict[str, Any], item: Item) -> Stored | None:
    """`item` as stored for the data version `fingerprint`; None when it was never stored; DamagedPredictions
    when its files cannot be read."""
    path = version_dir(db_path, fingerprint) / f"{item.name}.json"
    if not path.exists():
        return None
    return read(path)


def older_paths(db_path: str | Path, fingerprint: dict[str, Any], item: Item) -> list[Path]:
    """The JSON files of `item` stored for other data versions, newest first."""
    folder, current = predictions_dir(db_path), version_name(fingerprint)
    found = []
    for path in folder.glob(f"import-*/{item.name}.json") if folder.exists() else []:
        if path.parent.name != current:
            try:
                found.append((path.stat().st_mtime_ns, path))
            except OSError:  # pruned meanwhile
                continue
    return [path for _, path in sorted(found, reverse=True)]


def older(db_path: str | Path, fingerprint: dict[str, Any], item: Item) -> Stored | None:
    """The newest readable `item` stored for another data version (shown, marked, while the current one is
    computed); None when there is none. Damaged ones and stored errors are skipped."""
    for path in older_paths(db_path, fingerprint, item):
        try:
            stored = read(path)
        except DamagedPredictions:
            continue
        if stored.error is None:
            return stored
    return None


def prune(db_path: str | Path, fingerprint: dict[str, Any]) -> list[Path]:
    """Delete the predictions of every other data version; returns the folders deleted."""
    folder, current = predictions_dir(db_path), version_name(fingerprint)
    gone = []
    for path in sorted(folder.iterdir()) if folder.exists() else []:
        if path.is_dir() and path.name != current and path.name.startswith("import-"):
            shutil.rmtree(path, ignore_errors=True)
            gone.append(path)
    return gone
