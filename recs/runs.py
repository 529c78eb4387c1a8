"""A trained model as one typed value, and the process-wide shelf that keeps the recently used ones.

`TrainedModel` is what `recs.training.train_model` returns and `recs.models.store.load_model` reads back: the
fitted model with what it was trained on and how. Its `meta()` is the metadata written beside the model file.
`ModelShelf` holds the trained models of one database for every browser session of the app (a bounded LRU with
a lock); `RunKey` names one shelved run. Which run a page shows is decided in `recs.model_choice`.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

if TYPE_CHECKING:
    from recs.models.base import Recommender

SHELF_SIZE = 8  # trained models kept per database (a 10 M-line model takes hundreds of MB)


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """A fitted model and its metadata. Read-only: share it between sessions and threads."""

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

    @property
    def until(self) -> pd.Timestamp | None:
        """The "train until" asked for, as a time (None = all data)."""
        return None if not self.train_until else pd.Timestamp(self.train_until)

    @property
    def data_version(self) -> int | None:
        """The last import of orders or products the model saw (None for files stored before fingerprints)."""
        value = (self.fingerprint or {}).get("last_import_id")
        return None if value is None else int(value)

    def meta(self) -> dict[str, Any]:
        """The metadata stored beside the model (JSON-ready): every field but the model and its path."""
        return {**self.extra, "name": self.name, "model": self.model.name, "params": self.params,
                "weighting": self.weighting, "half_life_days": self.half_life_days,
                "train_until": self.train_until, "train_cutoff": self.train_cutoff, "fingerprint": self.fingerprint,
                "customers": self.customers, "products": self.products, "interactions": self.interactions,
                "read_seconds": self.read_seconds, "fit_seconds": self.fit_seconds, "trained_at": self.trained_at}

    @classmethod
    def from_meta(cls, model: Recommender, meta: dict[str, Any], path: Path | None = None) -> TrainedModel:
        """A stored model and its metadata (older files may lack fields: they get neutral values)."""
        known = {"name", "model", "params", "weighting", "half_life_days", "train_until", "train_cutoff",
                 "fingerprint", "customers", "products", "interactions", "read_seconds", "fit_seconds",
                 "trained_at", "metrics"}  # 'metrics' was always empty: dropped
        fingerprint = meta.get("fingerprint")
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
                   extra={k: v for k, v in meta.items() if k not in known})

    def identity(self) -> tuple:
        """A hashable identity of this run, for caches of results that depend on the model (st.cache_data keys)."""
        return (self.name, json.dumps(self.params, sort_keys=True, default=str), self.train_cutoff,
                self.trained_at, id(self.model))


class RunKey(NamedTuple):
    """Names one shelved run: the data version it serves, and how it was trained."""

    version: int  # recs.db.orders_version of the data the run serves
    name: str
    params: str  # JSON, keys sorted
    until: str  # ISO, "" = all data
    weighting: str


def run_key(version: int, run: TrainedModel) -> RunKey:
    """The shelf key of `run` serving data version `version`."""
    return RunKey(int(version), run.name, json.dumps(run.params, sort_keys=True, default=str),
                  run.train_until or "", run.weighting)


class ModelShelf:
    """The trained models of one database, least recently used dropped first; safe to share between threads."""

    def __init__(self, size: int = SHELF_SIZE) -> None:
        self.size = size
        self._runs: OrderedDict[RunKey, TrainedModel] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._runs)

    def get(self, key: RunKey | None) -> TrainedModel | None:
        """The run under `key` (now the most recently used), or None."""
        if key is None:
            return None
        with self._lock:
            found = self._runs.get(key)
            if found is not None:
                self._runs.move_to_end(key)
            return found

    def put(self, version: int, run: TrainedModel) -> RunKey:
        """Shelve `run` for data version `version`; returns its key. The oldest runs beyond `size` are dropped."""
        key = run_key(version, run)
        with self._lock:
            self._runs[key] = run
            self._runs.move_to_end(key)
            while len(self._runs) > self.size:
                self._runs.popitem(last=False)
        return key

    def latest(self, version: int, name: str) -> RunKey | None:
        """The most recently used run of model `name` on data version `version`, or None."""
        with self._lock:
            same = [k for k in self._runs if k.version == version and k.name == name]
        return same[-1] if same else None
