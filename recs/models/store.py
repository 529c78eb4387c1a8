"""Trained models on disk, next to the database: `<db file>.models/<name>.npz` (+ `<name>.json`).

Writes are atomic: the model goes to a temporary file in the same folder, then os.replace() puts it in place,
so a failed or interrupted training leaves the previous model byte-identical. The .npz embeds the metadata
(the authority); the .json beside it is a readable copy used for listing.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from recs.errors import InputError, NotFound
from recs.models._io import read_meta
from recs.models.base import Recommender
from recs.runs import TrainedModel

SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def models_dir(db_path: str | Path) -> Path:
    """The folder holding the models trained on one database file."""
    return Path(str(db_path) + ".models")


def _check_name(name: str) -> str:
    if not SAFE_NAME.match(str(name)) or str(name).startswith("."):
        raise InputError(f"invalid model name {name!r}: use letters, digits, '_', '-' and '.'")
    return str(name)


def model_path(db_path: str | Path, name: str) -> Path:
    return models_dir(db_path) / f"{_check_name(name)}.npz"


def _atomic_write(target: Path, write: Any) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(db_path: str | Path, run: TrainedModel) -> TrainedModel:
    """Store a trained model under its name; returns it with the path of its .npz file."""
    target = model_path(db_path, run.name)
    meta = run.meta()
    _atomic_write(target, lambda tmp: run.model.save(tmp, meta=meta))
    _atomic_write(target.with_suffix(".json"),
                  lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8"))
    return replace(run, path=target)


def load_model(db_path: str | Path, name: str) -> TrainedModel:
    """The stored model `name` with its metadata; NotFound when none was trained."""
    path = model_path(db_path, name)
    if not path.exists():
        raise NotFound(f"no trained model {name!r} for {db_path}: train it first (python -m recs train)")
    model, meta = Recommender.load_with_meta(path)
    return TrainedModel.from_meta(model, meta, path=path)


def stored_metas(db_path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """(name, metadata) of every stored model of a database, by name; unreadable files are skipped."""
    out = []
    folder = models_dir(db_path)
    for path in sorted(folder.glob("*.npz")) if folder.exists() else []:
        if path.name.startswith("."):
            continue
        try:
            out.append((path.stem, read_meta(path).get("extra", {})))
        except (OSError, ValueError, KeyError):
            continue
    return out


def stored_stamp(db_path: str | Path) -> tuple[tuple[str, int], ...]:
    """(file name, modification time in ns) of every stored model: changes whenever a model is stored or deleted,
    so callers can cache what they read from the metadata."""
    folder = models_dir(db_path)
    if not folder.exists():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.npz") if not p.name.startswith(".")))


def list_models(db_path: str | Path) -> pd.DataFrame:
    """One row per stored model: name, model, trained_at, train_cutoff, weighting, fit_seconds, customers,
    products, params (JSON text)."""
    cols = ["name", "model", "trained_at", "train_cutoff", "weighting", "fit_seconds", "customers", "products",
            "params"]
    rows = []
    for name, meta in stored_metas(db_path):
        row = {c: meta.get(c) for c in cols}
        row["name"] = name
        row["params"] = json.dumps(meta.get("params", {}), sort_keys=True)
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)
