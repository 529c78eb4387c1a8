"""Experiments managed from the command line: `python -m recs api experiments [add|remove] --db DB ...`.

The experiments file (`<db>.models/experiments.json`, recs/service/experiments.py) is what the running service
re-reads when it changes. These functions list it with each variant's assignments so far (from the spool), add a
two-variant experiment (a control that is a stored model or a hold-out with no recommendations, and a treatment
model) and remove one. Every change is checked by the service's own parser and written atomically (a temporary
file fsync'd, then renamed over the old one), so the service never reads half a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from recs.errors import InputError
from recs.service.experiments import KEEP, parse_experiments
from recs.service.spool import read_records, spool_files

COLUMNS = ["experiment_id", "variant", "share", "model", "assigned_in_spool"]


def read_config(path: Path) -> dict[str, Any]:
    """The experiments file as JSON ({"experiments": {}} when it does not exist); InputError naming the file when
    it is not a valid experiments file."""
    if not path.exists():
        return {"experiments": {}}
    text = path.read_text(encoding="utf-8")
    parse_experiments(text, str(path))  # the service's own checks
    return json.loads(text)


def write_config(path: Path, config: dict[str, Any]) -> None:
    """Write the experiments file atomically and durably, after the service's parser accepted it."""
    text = json.dumps(config, indent=2) + "\n"
    parse_experiments(text, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def assignment_counts(spool_dir: Path) -> dict[tuple[str, str], int]:
    """Customers assigned per (experiment, variant) in the spool files still there (each customer once)."""
    seen: dict[tuple[str, str], str] = {}
    for path in spool_files(spool_dir):
        for record in read_records(path):
            if record.kind == "assignment":
                key = (str(record.data.get("experiment_id")), str(record.data.get("customer_id")))
                seen.setdefault(key, str(record.data.get("variant")))
    counts: dict[tuple[str, str], int] = {}
    for (experiment_id, _), variant in seen.items():
        counts[(experiment_id, variant)] = counts.get((experiment_id, variant), 0) + 1
    return counts


def list_experiments(path: Path, spool_dir: Path) -> pd.DataFrame:
    """One row per (experiment, variant): its share, what it serves ('none' = no recommendations, 'default' = the
    service's default model) and the customers assigned to it in the spool."""
    experiments = parse_experiments(path.read_text(encoding="utf-8"), str(path)) if path.exists() else {}
    counts = assignment_counts(spool_dir)
    rows = [(e.id, v.name, v.share, "default" if v.model is KEEP else "none" if v.model is None else v.model,
             counts.get((e.id, v.name), 0)) for e in experiments.values() for v in e.variants]
    return pd.DataFrame(rows, columns=COLUMNS)


def add_experiment(path: Path, experiment_id: str, control: str, treatment: str, share: float,
                   models: Iterable[str]) -> dict[str, Any]:
    """Add a two-variant experiment: `treatment` (a stored model) gets `share` of the customers, the control the
    rest (a stored model, or 'none' for a hold-out served no recommendations). InputError for an id already
    configured, an unknown model or a share outside (0, 1). Returns the experiment as written."""
    experiment_id = experiment_id.strip()
    if not experiment_id:
        raise InputError("--id: empty experiment id")
    known = sorted(set(models))
    for flag, name in (("--control", control), ("--treatment", treatment)):
        if name in known or (flag == "--control" and name == "none"):
            continue
        choices = ", ".join(known) or "none stored: train one first (python -m recs train)"
        extra = " or none (a hold-out)" if flag == "--control" else ""
        raise InputError(f"{flag}: unknown model {name!r}; stored models: {choices}{extra}")
    if not 0 < share < 1:
        raise InputError(f"--share: the treatment's share must be between 0 and 1 (exclusive), got {share:g}")
    config = read_config(path)
    if experiment_id in config["experiments"]:
        raise InputError(f"--id: experiment {experiment_id!r} is already configured in {path}; remove it first "
                         "(a running experiment's shares should not change: customers would switch variants)")
    spec = {"variants": {"control": {"share": round(1.0 - share, 12), "model": None if control == "none" else control},
                         "treatment": {"share": share, "model": treatment}}}
    config["experiments"][experiment_id] = spec
    write_config(path, config)
    return spec


def remove_experiment(path: Path, experiment_id: str) -> None:
    """Remove an experiment (its recorded assignments stay in the spool and the warehouse); InputError when it
    is not configured."""
    config = read_config(path)
    if experiment_id not in config["experiments"]:
        known = ", ".join(sorted(config["experiments"])) or "none"
        raise InputError(f"--id: no experiment {experiment_id!r} in {path} (configured: {known})")
    del config["experiments"][experiment_id]
    write_config(path, config)
