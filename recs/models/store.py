"""Model runs on disk, next to the database: `<db file>.models/runs/<run id>.npz` (+ `.json`).

Every training is stored as a new run beside the earlier ones (a retrain never overwrites). Writes are atomic:
the model goes to a temporary file in the same folder, then os.replace() puts it in place, so a failed or
interrupted training leaves every stored run byte-identical. The .npz embeds the metadata (the authority); the
.json beside it is a readable copy. Files of the older one-slot layout (`<db file>.models/NAME.npz`, formats 1
and 2) are listed as runs whose id is their name, and stay readable. A file that cannot be read (empty,
truncated, not a model, bad metadata) is listed as damaged with the reason; loading it raises `DamagedRun`.
The last evaluation of a run sits in `<run id>.figures.json`.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from recs.atomic import write_atomic
from recs.errors import InputError, NotFound, RepeatError
from recs.models._io import READABLE, read_meta
from recs.models.base import Recommender, model_class
from recs.runs import RunInfo, TrainedModel, describe_data, fingerprint_matches, new_run_id

SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
RUNS = "runs"
FIGURES = ".figures.json"
# what reading a damaged file can raise (numpy's zip reader, the JSON header, missing arrays, odd values)
READ_ERRORS = (OSError, EOFError, ValueError, KeyError, TypeError, IndexError, AttributeError, zipfile.BadZipFile,
               RepeatError)


class DamagedRun(RepeatError):
    """A stored run whose files cannot be read; the message names the run and the reason."""


def models_dir(db_path: str | Path) -> Path:
    """The folder holding the models trained on one database file."""
    return Path(str(db_path) + ".models")


def runs_dir(db_path: str | Path) -> Path:
    """The folder holding the runs of one database file."""
    return models_dir(db_path) / RUNS


def _check_name(name: str, what: str = "model name") -> str:
    if not SAFE_NAME.match(str(name)) or str(name).startswith("."):
        raise InputError(f"invalid {what} {name!r}: use letters, digits, '_', '-' and '.'")
    return str(name)


def model_path(db_path: str | Path, name: str) -> Path:
    """The file of model `name` in the older one-slot layout (read as a run whose id is `name`)."""
    return models_dir(db_path) / f"{_check_name(name)}.npz"


def run_path(db_path: str | Path, run_id: str) -> Path:
    """The .npz file of run `run_id` (a run of the older layout keeps its own place)."""
    new = runs_dir(db_path) / f"{_check_name(run_id, 'run id')}.npz"
    old = models_dir(db_path) / f"{run_id}.npz"
    return old if not new.exists() and not new.with_suffix(".json").exists() and old.exists() else new


def save_model(db_path: str | Path, run: TrainedModel) -> TrainedModel:
    """Store `run` as a new run beside the earlier ones; returns it with its run id and the path of its .npz.
    A run that has no id yet, or whose id is already stored, gets a fresh one."""
    _check_name(run.name)
    run_id = run.run_id
    if not run_id or run_path(db_path, run_id).exists() or (models_dir(db_path) / f"{run_id}.npz").exists():
        run_id = new_run_id(run.name, run.trained_at)
    run = replace(run, run_id=_check_name(run_id, "run id"))
    target = runs_dir(db_path) / f"{run_id}.npz"
    meta = run.meta()
    write_atomic(target, lambda tmp: run.model.save(tmp, meta=meta))
    write_atomic(target.with_suffix(".json"),
                  lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8"))
    return replace(run, path=target)


def _problem(exc: BaseException, path: Path) -> str:
    """A damaged file's reason in plain words."""
    if isinstance(exc, FileNotFoundError):
        return "the model file is missing"
    if isinstance(exc, EOFError) or (path.exists() and path.stat().st_size == 0):
        return "the model file is empty"
    if isinstance(exc, zipfile.BadZipFile):
        return f"the model file is truncated or not a model file ({exc})"
    if isinstance(exc, ValueError) and "pickle" in str(exc):  # numpy's guess for a file that is neither zip nor .npy
        return "the file is not a model file (not a NumPy .npz archive)"
    if isinstance(exc, json.JSONDecodeError):
        return f"the model's metadata is not valid JSON ({exc})"
    if isinstance(exc, KeyError):
        return f"the model file lacks part of the model ({exc})"
    if isinstance(exc, RepeatError):
        return str(exc)
    return f"the model file cannot be read ({type(exc).__name__}: {exc})"


def _inspect(path: Path, run_id: str, legacy: bool) -> RunInfo:
    """One stored run from its file header (the arrays stay on disk); a damaged file gets its reason."""
    try:
        written = path.stat().st_mtime_ns
    except OSError as exc:
        return RunInfo(run_id=run_id, path=path, meta=_sidecar(path), problem=_problem(exc, path), legacy=legacy)
    try:
        header = read_meta(path)
        if not isinstance(header, dict) or header.get("format") not in READABLE:
            raise InputError(f"the model file has an unknown format {header.get('format') if isinstance(header, dict) else header!r}")
        meta = header.get("extra") or {}
        if not isinstance(meta, dict):
            raise InputError("the model's metadata is not a JSON object")
        model_class(str(header.get("model")))  # a model this version knows
    except READ_ERRORS as exc:
        return RunInfo(run_id=run_id, path=path, meta=_sidecar(path), problem=_problem(exc, path), legacy=legacy,
                       written_ns=written)
    return RunInfo(run_id=run_id, path=path, meta=meta, legacy=legacy, written_ns=written,
                   figures=_figures(path))


def _sidecar(path: Path) -> dict[str, Any]:
    """The readable .json copy of a run's metadata, or {} (only to name a damaged run)."""
    try:
        found = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _figures(path: Path) -> dict[str, Any] | None:
    try:
        found = json.loads(path.with_name(path.stem + FIGURES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def list_runs(db_path: str | Path) -> list[RunInfo]:
    """Every stored run of a database, newest first, damaged ones included (with `problem` set)."""
    found: list[RunInfo] = []
    folder, runs = models_dir(db_path), runs_dir(db_path)
    for path in sorted(folder.glob("*.npz")) if folder.exists() else []:
        if not path.name.startswith(".") and SAFE_NAME.match(path.stem):
            found.append(_inspect(path, path.stem, legacy=True))
    if runs.exists():
        stems = {p.stem for p in runs.glob("*.npz")} | {p.stem for p in runs.glob("*.json")
                                                       if not p.name.endswith(FIGURES)}
        for stem in sorted(s for s in stems if not s.startswith(".") and SAFE_NAME.match(s)):
            found.append(_inspect(runs / f"{stem}.npz", stem, legacy=False))
    return sorted(found, key=RunInfo.sort_key, reverse=True)


def load_run(db_path: str | Path, run_id: str) -> TrainedModel:
    """The stored run `run_id` with its model; NotFound when there is none, DamagedRun when it cannot be read."""
    path = run_path(db_path, run_id)
    if not path.exists() and not path.with_suffix(".json").exists():
        raise NotFound(f"no model run {run_id!r} for {db_path}: see `python -m recs models --trained`")
    info = _inspect(path, run_id, legacy=path.parent == models_dir(db_path))
    if info.damaged:
        raise DamagedRun(f"model run {run_id} is damaged: {info.problem}")
    try:
        model, meta = Recommender.load_with_meta(path)
    except (*READ_ERRORS, MemoryError) as exc:
        raise DamagedRun(f"model run {run_id} is damaged: {_problem(exc, path)}") from exc
    return TrainedModel.from_meta(model, meta, path=path, run_id=run_id)


def load_model(db_path: str | Path, name: str) -> TrainedModel:
    """The newest readable run of model `name`; NotFound when none was trained, DamagedRun when every run of that
    name is damaged."""
    _check_name(name)
    runs = [r for r in list_runs(db_path) if r.name == name]
    if not runs:
        raise NotFound(f"no trained model {name!r} for {db_path}: train it first (python -m recs train)")
    problems = []
    for info in runs:
        if info.damaged:
            problems.append(f"{info.run_id}: {info.problem}")
            continue
        try:
            return load_run(db_path, info.run_id)
        except DamagedRun as exc:
            problems.append(str(exc))
    raise DamagedRun(f"every stored run of {name!r} is damaged: " + "; ".join(problems))


def delete_run(db_path: str | Path, run_id: str) -> RunInfo:
    """Delete the files of run `run_id` (model, metadata copy, figures); returns what was deleted. NotFound when
    there is no such run. Damaged runs can be deleted too."""
    path = run_path(db_path, run_id)
    files = [path, path.with_suffix(".json"), path.with_name(path.stem + FIGURES)]
    if not any(f.exists() for f in files[:2]):
        raise NotFound(f"no model run {run_id!r} for {db_path}: see `python -m recs models --trained`")
    info = _inspect(path, run_id, legacy=path.parent == models_dir(db_path))
    for file in files:
        file.unlink(missing_ok=True)
    return info


def record_figures(db_path: str | Path, run_id: str, figures: dict[str, Any]) -> None:
    """Keep the figures of an evaluation of run `run_id` beside it (the last one replaces the previous)."""
    path = run_path(db_path, run_id)
    if not path.exists():
        raise NotFound(f"no model run {run_id!r} for {db_path}")
    write_atomic(path.with_name(path.stem + FIGURES),
                  lambda tmp: Path(tmp).write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8"))


def stored_stamp(db_path: str | Path) -> tuple[tuple[str, int], ...]:
    """(file, modification time in ns) of every stored run: changes whenever a run is stored or deleted, so
    callers can cache what they read from the metadata (and a service can hot-swap to a new run)."""
    folder, runs = models_dir(db_path), runs_dir(db_path)
    files = [*(folder.glob("*.npz") if folder.exists() else []), *(runs.glob("*.npz") if runs.exists() else [])]
    out = []
    for path in files:
        if path.name.startswith("."):
            continue
        try:
            out.append((str(path.relative_to(folder)), path.stat().st_mtime_ns))
        except OSError:  # deleted meanwhile
            continue
    return tuple(sorted(out))


def stored_metas(db_path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """(model name, metadata) of every readable stored run, newest first."""
    return [(info.name, info.meta) for info in list_runs(db_path) if not info.damaged]


RUN_COLUMNS = ["run_id", "name", "model", "status", "problem", "trained_at", "data", "train_cutoff", "weighting",
               "fit_seconds", "customers", "products", "params", "eval_cutoff", "eval_k", "ndcg_new", "ndcg_all",
               "hit_rate_new", "hit_rate_all", "eval_customers", "size_bytes"]


def runs_frame(runs: list[RunInfo], fingerprint: dict[str, Any] | None = None) -> pd.DataFrame:
    """One row per run (RUN_COLUMNS): status 'damaged', else 'stale' / 'current' against the data now when
    `fingerprint` is given (else 'ok'); `data` describes what the run was trained on; the last evaluation's
    figures when there is one."""
    rows = []
    for info in runs:
        meta = info.meta
        if info.damaged:
            status = "damaged"
        elif fingerprint is None:
            status = "ok"
        else:
            status = "current" if fingerprint_matches(info.fingerprint, fingerprint) else "stale"
        row = {c: meta.get(c) for c in RUN_COLUMNS}
        figures = info.figures or {}
        row.update({c: figures.get(c) for c in RUN_COLUMNS if c.startswith("eval_") or "_new" in c or "_all" in c})
        row.update(run_id=info.run_id, name=info.name or None, status=status, problem=info.problem,
                   size_bytes=_size(info.path),
                   data=describe_data(info.fingerprint) if not info.damaged or info.fingerprint else None,
                   params=json.dumps(meta.get("params", {}), sort_keys=True) if meta else None)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=RUN_COLUMNS)
    for col in ("customers", "products", "eval_k", "eval_customers", "size_bytes"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    return frame


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def list_models(db_path: str | Path, fingerprint: dict[str, Any] | None = None) -> pd.DataFrame:
    """One row per stored run, newest first (see `runs_frame`)."""
    return runs_frame(list_runs(db_path), fingerprint)
