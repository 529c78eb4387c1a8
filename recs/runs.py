"""Model runs as typed values, and the process-wide shelf that keeps the recently used ones.

Every training is a run: `TrainedModel` is what `recs.training.train_model` returns and `recs.models.store`
reads back (the fitted model, how and on what data it was trained, its `run_id`); `RunInfo` is one stored run as
listed, without loading its model (readable or damaged, with the reason). `ModelShelf` holds loaded runs for every
browser session of the app, by run id (a bounded LRU with a lock). Which run a page shows is decided in
`recs.model_choice`; whether a run is current is `fingerprint_matches`.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from recs.models.base import Recommender

SHELF_SIZE = 8  # trained models kept per database (a 10 M-line model takes hundreds of MB)


def new_run_id(name: str, trained_at: str | None = None) -> str:
    """A fresh run id: `YYYYMMDD-HHMMSS-<model name>-<4 hex>`; ids sort by training time (UTC)."""
    when = pd.Timestamp(trained_at) if trained_at else pd.Timestamp.now(tz="UTC")
    return f"{when.strftime('%Y%m%d-%H%M%S')}-{name}-{secrets.token_hex(2)}"


def fingerprint_matches(stored: dict[str, Any] | None, now: dict[str, Any]) -> bool:
    """True when data described by fingerprint `stored` is the data described by `now` (keys both have must agree,
    so a fingerprint with more fields stays comparable). A run without a fingerprint (stored before there were
    any) cannot be checked and counts as current."""
    if not stored:
        return True
    common = set(stored) & set(now)
    return bool(common) and all(stored[k] == now[k] for k in common)


def describe_data(fingerprint: dict[str, Any] | None) -> str:
    """'12,345 sales lines up to 2024-03-31 (import #2)' for a data fingerprint, in plain words."""
    if not fingerprint:
        return "unknown data (stored before runs recorded their data)"
    lines = fingerprint.get("valid_lines")
    last = str(fingerprint.get("max_ordered_at") or "")[:10] or "no date"
    text = f"{int(lines):,} sales lines up to {last}" if lines is not None else f"sales up to {last}"
    if fingerprint.get("last_import_id") is not None:
        text += f" (import #{fingerprint['last_import_id']})"
    return text


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """A fitted model and its metadata: one run. Read-only: share it between sessions and threads."""

    model: Recommender
    name: str  # the stored name (the registry name unless stored under another)
    params: dict[str, Any]  # the model's parameters after coercion (model.get_params())
    weighting: str
    train_until: str | None  # the "train until" asked for (ISO); None = all data
    train_cutoff: str  # lines strictly before this time were used (ISO)
    fingerprint: dict[str, Any] | None  # the data it was trained on (recs.training.data_fingerprint)
    trained_at: str  # ISO time, UTC
    fit_seconds: float
    read_seconds: float = 0.0
    customers: int = 0
    products: int = 0
    interactions: int = 0
    half_life_days: float | None = None  # with weighting 'recency'
    path: Path | None = None  # the stored file; None for a model kept in memory only
    extra: dict[str, Any] = field(default_factory=dict)  # any other metadata found in a stored file
    run_id: str | None = None  # set by training (and by the store for a run saved without one)

    @property
    def until(self) -> pd.Timestamp | None:
        """The "train until" asked for, as a time (None = all data)."""
        return None if not self.train_until else pd.Timestamp(self.train_until)

    @property
    def data_version(self) -> int | None:
        """The last import of orders or products the model saw (None for files stored before fingerprints)."""
        value = (self.fingerprint or {}).get("last_import_id")
        return None if value is None else int(value)

    @property
    def key(self) -> str:
        """The run id, or an id for this object when it never got one (a run built by hand, kept in memory)."""
        return self.run_id or f"memory-{id(self.model):x}"

    def meta(self) -> dict[str, Any]:
        """The metadata stored beside the model (JSON-ready): every field but the model and its path.
        `data_fingerprint` and `fingerprint` hold the same value (the second for readers of older versions)."""
        return {**self.extra, "run_id": self.run_id, "name": self.name, "model": self.model.name,
                "params": self.params, "weighting": self.weighting, "half_life_days": self.half_life_days,
                "train_until": self.train_until, "train_cutoff": self.train_cutoff,
                "data_fingerprint": self.fingerprint, "fingerprint": self.fingerprint,
                "customers": self.customers, "products": self.products, "interactions": self.interactions,
                "read_seconds": self.read_seconds, "fit_seconds": self.fit_seconds, "trained_at": self.trained_at}

    @classmethod
    def from_meta(cls, model: Recommender, meta: dict[str, Any], path: Path | None = None,
                  run_id: str | None = None) -> TrainedModel:
        """A stored model and its metadata (older files may lack fields: they get neutral values); `run_id` is
        the id the run was stored under (a file of the older layout: its name), else the one in `meta`."""
        known = {"run_id", "name", "model", "params", "weighting", "half_life_days", "train_until", "train_cutoff",
                 "data_fingerprint", "fingerprint", "customers", "products", "interactions", "read_seconds",
                 "fit_seconds", "trained_at", "metrics"}  # 'metrics' was always empty: dropped
        fingerprint = meta.get("data_fingerprint") or meta.get("fingerprint")
        cutoff = getattr(getattr(model, "data_", None), "cutoff", None)
        return cls(model=model, name=str(meta.get("name") or model.name),
                   params=dict(meta.get("params") or model.get_params()),
                   weighting=str(meta.get("weighting") or ""), train_until=meta.get("train_until") or None,
                   train_cutoff=str(meta.get("train_cutoff") or (cutoff.isoformat() if cutoff is not None else "")),
                   fingerprint=fingerprint if isinstance(fingerprint, dict) else None,
                   trained_at=str(meta.get("trained_at") or ""), fit_seconds=float(meta.get("fit_seconds") or 0.0),
                   read_seconds=float(meta.get("read_seconds") or 0.0), customers=int(meta.get("customers") or 0),
                   products=int(meta.get("products") or 0), interactions=int(meta.get("interactions") or 0),
                   half_life_days=meta.get("half_life_days"), path=path,
                   extra={k: v for k, v in meta.items() if k not in known},
                   run_id=str(run_id or meta.get("run_id") or "") or None)

    def identity(self) -> tuple:
        """A hashable identity of this run, for caches of results that depend on the model (st.cache_data keys)."""
        return (self.key, self.name, json.dumps(self.params, sort_keys=True, default=str), self.train_cutoff,
                self.trained_at, id(self.model))


@dataclass(frozen=True)
class RunInfo:
    """One stored run as listed, without loading its model. `problem` says why a damaged run cannot be used."""

    run_id: str
    path: Path  # the .npz file (it may be missing: then `problem` says so)
    meta: dict[str, Any]  # the metadata stored with the model ({} when unreadable)
    problem: str | None = None  # None = readable
    legacy: bool = False  # a file of the one-slot-per-name layout (<db>.models/NAME.npz)
    written_ns: int = 0  # modification time of the file (orders runs trained within the same second)
    figures: dict[str, Any] | None = None  # the last evaluation recorded for this run

    @property
    def damaged(self) -> bool:
        return self.problem is not None

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.meta.get("model") or (self.run_id if self.legacy else ""))

    @property
    def trained_at(self) -> str:
        return str(self.meta.get("trained_at") or "")

    @property
    def fingerprint(self) -> dict[str, Any] | None:
        found = self.meta.get("data_fingerprint") or self.meta.get("fingerprint")
        return found if isinstance(found, dict) else None

    def sort_key(self) -> tuple[str, int, str]:
        """Newest last: training time, then file time, then id."""
        return (self.trained_at or _iso_ns(self.written_ns), self.written_ns, self.run_id)


def _iso_ns(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9).isoformat(timespec="seconds") if ns else ""


class ModelShelf:
    """Loaded runs of one database by run id, least recently used dropped first; safe to share between threads."""

    def __init__(self, size: int = SHELF_SIZE) -> None:
        self.size = size
        self._runs: OrderedDict[str, TrainedModel] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._runs)

    def get(self, run_id: str | None) -> TrainedModel | None:
        """The run `run_id` (now the most recently used), or None."""
        if run_id is None:
            return None
        with self._lock:
            found = self._runs.get(run_id)
            if found is not None:
                self._runs.move_to_end(run_id)
            return found

    def put(self, run: TrainedModel) -> str:
        """Shelve `run`; returns its key (the run id). The oldest runs beyond `size` are dropped."""
        key = run.key
        with self._lock:
            self._runs[key] = run
            self._runs.move_to_end(key)
            while len(self._runs) > self.size:
                self._runs.popitem(last=False)
        return key

    def drop(self, run_id: str) -> None:
        """Forget a run (it was deleted)."""
        with self._lock:
            self._runs.pop(run_id, None)


def evaluation_figures(frame: pd.DataFrame, model_name: str, cutoff: Any, horizon_days: int) -> dict[str, Any] | None:
    """The figures of `model_name` in an evaluation table (`recs.evaluation.evaluate_models`), to keep beside its
    run: cutoff, horizon, K, test customers, NDCG and hit rate per mode; None when the model was not evaluated."""
    part = frame[frame["model"] == model_name]
    if part.empty:
        return None
    out: dict[str, Any] = {"eval_cutoff": str(cutoff)[:10], "eval_horizon_days": int(horizon_days),
                           "eval_k": int(part["k"].iloc[0]), "eval_customers": int(part["customers"].max())}
    for mode in ("new", "all"):
        row = part[part["mode"] == mode]
        if len(row):
            for name in ("ndcg", "hit_rate"):  # blank (no test customers) stays blank: None, not NaN
                value = row[name].iloc[0]
                out[f"{name}_{mode}"] = None if pd.isna(value) else float(value)
    return out
