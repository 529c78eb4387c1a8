"""Train a registry model on the warehouse and store it as a new run next to the database; tell whether a run
is current (trained on the data as it is now) or stale, and which stored run is the newest current one."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recs import db, sql
from recs.interactions import build_interactions, to_timestamp
from recs.models import get_class
from recs.models.base import Progress
from recs.models.store import list_runs, save_model
from recs.runs import RunInfo, TrainedModel, describe_data, fingerprint_matches, new_run_id

FINGERPRINT_SQL = sql.load("training/fingerprint")


def data_fingerprint(con: Any) -> dict[str, Any]:
    """What the data looked like: the last import of orders or products (a holdout export is not one), valid line
    count, last valid order time (a model is stale when this changes)."""
    lines, last = con.execute(FINGERPRINT_SQL).fetchone()
    return {"last_import_id": db.orders_version(con), "valid_lines": int(lines),
            "max_ordered_at": None if last is None else str(last)}


def is_stale(con: Any, run: TrainedModel | RunInfo, fingerprint: dict[str, Any] | None = None) -> bool:
    """True when the warehouse changed since the run was trained (another import, more or fewer valid lines).
    `fingerprint` is the data now when the caller has it (else it is computed).

    A file stored before models had a fingerprint cannot be checked and counts as current."""
    return not fingerprint_matches(run.fingerprint, fingerprint or data_fingerprint(con))


def staleness(run: TrainedModel | RunInfo, fingerprint: dict[str, Any]) -> str | None:
    """Why `run` is stale against the data now (`fingerprint`), in plain words; None when it is current."""
    if fingerprint_matches(run.fingerprint, fingerprint):
        return None
    return (f"it was trained on {describe_data(run.fingerprint)}; the shop now has {describe_data(fingerprint)}")


def current_runs(con: Any, db_path: str | Path, name: str | None = None,
                 fingerprint: dict[str, Any] | None = None) -> list[RunInfo]:
    """The readable stored runs (of model `name`, or any) trained on the data in the warehouse now, newest
    first. `fingerprint` is the data now when the caller has it."""
    now = fingerprint or data_fingerprint(con)
    return [info for info in list_runs(db_path)
            if not info.damaged and (name is None or info.name == name) and fingerprint_matches(info.fingerprint, now)]


def newest_current_run(con: Any, db_path: str | Path, name: str | None = None,
                       fingerprint: dict[str, Any] | None = None) -> RunInfo | None:
    """The readable stored run (of model `name`, or any) trained most recently on the data in the warehouse now;
    None when every such run is stale or damaged, or there is none."""
    found = current_runs(con, db_path, name=name, fingerprint=fingerprint)
    return found[0] if found else None


def newest_current_model(con: Any, db_path: str | Path) -> str | None:
    """The model name of the newest current run (`newest_current_run`), so the preview pages open on the model
    the merchandiser last trained."""
    found = newest_current_run(con, db_path)
    return None if found is None else found.name


def parse_params(items: list[str] | None) -> dict[str, str]:
    """['k=v', ...] from the command line into a dict (values coerced later by the model's ParamSpec)."""
    from recs.errors import InputError

    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--param {item!r}: use name=value")
        out[key.strip()] = value.strip()
    return out


def train_model(con: Any, db_path: str | Path, name: str, params: dict[str, Any] | None = None, until: Any = None,
                weighting: str | None = None, progress: Progress | None = None, half_life_days: float = 90.0,
                store: bool = True) -> TrainedModel:
    """Build interactions before `until`, fit model `name`, store it as a new run (atomically, unless `store` is
    False) and return it with its metadata and run id.

    InputError for an unknown model/parameter/weighting or no data before `until`. If anything fails (including
    `progress` raising to cancel), nothing is stored and every earlier run is left untouched.
    """
    cls = get_class(name)
    model = cls(**(params or {}))
    weighting = weighting or cls.default_weighting
    cutoff = to_timestamp(until, "train until")

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(0.1 + 0.85 * fraction, message)

    if progress is not None:
        progress(0.0, "reading purchases")
    start = time.perf_counter()
    data = build_interactions(con, until=cutoff, weighting=weighting, half_life_days=half_life_days)
    read_seconds = time.perf_counter() - start
    start = time.perf_counter()
    model.fit(data, progress=report)
    fit_seconds = time.perf_counter() - start
    trained_at = datetime.now(UTC).isoformat(timespec="seconds")
    run = TrainedModel(
        model=model, name=name, params=model.get_params(), weighting=weighting,
        half_life_days=half_life_days if weighting == "recency" else None,
        train_until=None if cutoff is None else cutoff.isoformat(), train_cutoff=data.cutoff.isoformat(),
        fingerprint=data_fingerprint(con), customers=data.n_customers, products=data.n_products,
        interactions=int(data.matrix.nnz), read_seconds=round(read_seconds, 3), fit_seconds=round(fit_seconds, 3),
        trained_at=trained_at, run_id=new_run_id(name, trained_at))
    if store:
        if progress is not None:
            progress(0.96, "saving")
        run = save_model(db_path, run)
        from recs.service.bundle import write_serving_bundle  # catalogue, rules, cold start: for the API
        write_serving_bundle(con, db_path, run)
    if progress is not None:
        progress(1.0, "done")
    return run
