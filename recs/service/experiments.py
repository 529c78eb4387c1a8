"""A/B variants assigned at serving time: `GET /v1/recommendations?...&experiment=ID`.

Experiments are configured in a JSON file (default `<db>.models/experiments.json`, re-read when it changes):

    {"experiments": {"reco-live-2025-01": {"variants": {
        "control":   {"share": 0.5, "model": null},
        "treatment": {"share": 0.5, "model": "hybrid"}}}}}

`model` null serves no recommendations (a hold-out control), a name serves that stored model, and a variant without
`model` serves the service's default model. A customer's variant is a pure function of (experiment, customer): the
first 8 bytes of sha256("experiment:customer") read as a number in [0, 1) fall into the variants' shares in file
order, so it is the same after a restart and on every replica. The first assignment of a customer is spooled
(like an order) and reaches the `assignments` table with `python -m recs import --spool`, where the Experiments
page measures the lift as it does for holdout exports.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recs.errors import InputError, NotFound

SHARE_TOLERANCE = 1e-6
KEEP = object()  # a variant without "model": serve the default model


@dataclass(frozen=True)
class Variant:
    name: str
    share: float
    model: Any  # None: no recommendations; a name; KEEP: the default model


@dataclass(frozen=True)
class Experiment:
    id: str
    variants: tuple[Variant, ...]

    def planned_split(self) -> dict[str, float]:
        return {v.name: v.share for v in self.variants}


def draw(experiment_id: str, customer_id: str) -> float:
    """A uniform number in [0, 1) from sha256("experiment:customer")."""
    digest = hashlib.sha256(f"{experiment_id}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def assign(experiment: Experiment, customer_id: str) -> Variant:
    """The customer's variant: the first whose cumulative share passes the customer's draw."""
    u = draw(experiment.id, customer_id)
    total = 0.0
    for variant in experiment.variants:
        total += variant.share
        if u < total:
            return variant
    return experiment.variants[-1]


def parse_experiments(text: str, where: str) -> dict[str, Experiment]:
    """The experiments of a config file's text; InputError naming the file, the experiment and the field."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{where}: not valid JSON ({exc})") from exc
    items = raw.get("experiments") if isinstance(raw, dict) else None
    if not isinstance(items, dict):
        raise InputError(f"{where}: expected an object with \"experiments\": {{ID: {{\"variants\": ...}}}}")
    out = {}
    for exp_id, spec in items.items():
        variants = spec.get("variants") if isinstance(spec, dict) else None
        if not str(exp_id).strip() or not isinstance(variants, dict) or len(variants) < 2:
            raise InputError(f"{where}: experiment {exp_id!r}: \"variants\" needs at least two variants")
        parsed = []
        for name, v in variants.items():
            share = v.get("share") if isinstance(v, dict) else None
            if not str(name).strip() or not isinstance(share, int | float) or not 0 < share <= 1:
                raise InputError(f"{where}: experiment {exp_id!r}, variant {name!r}: \"share\" must be a number "
                                 "in (0, 1]")
            model = v.get("model", KEEP)
            if model is not KEEP and model is not None and not isinstance(model, str):
                raise InputError(f"{where}: experiment {exp_id!r}, variant {name!r}: \"model\" must be a stored "
                                 "model name or null")
            parsed.append(Variant(str(name), float(share), model))
        total = sum(v.share for v in parsed)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise InputError(f"{where}: experiment {exp_id!r}: the shares add up to {total:g}, not 1")
        out[str(exp_id)] = Experiment(str(exp_id), tuple(parsed))
    return out


class ExperimentBook:
    """The configured experiments (re-read when the file changes) and the assignments already recorded."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: Any = None
        self._experiments: dict[str, Experiment] = {}
        self._recorded: set[tuple[str, str]] = set()
        self.error: str | None = None
        self.check()

    def check(self) -> None:
        """Read the file again when it changed; a broken file keeps the last good experiments (and says why)."""
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return
        try:
            experiments = {} if stamp is None else parse_experiments(self.path.read_text(encoding="utf-8"),
                                                                     str(self.path))
            self.error = None
        except (InputError, OSError) as exc:
            self.error = str(exc)
            return
        self._experiments, self._stamp = experiments, stamp

    def get(self, experiment_id: str) -> Experiment:
        found = self._experiments.get(experiment_id)
        if found is None:
            known = ", ".join(sorted(self._experiments)) or "none"
            raise NotFound(f"unknown experiment {experiment_id!r} (configured in {self.path}: {known})")
        return found

    def all(self) -> dict[str, Experiment]:
        return dict(self._experiments)

    def seen(self, experiment_id: str, customer_id: str) -> bool:
        with self._lock:
            return (experiment_id, customer_id) in self._recorded

    def mark(self, experiment_id: str, customer_id: str) -> bool:
        """Remember an assignment; True when it is new (the caller then spools it)."""
        with self._lock:
            key = (experiment_id, customer_id)
            if key in self._recorded:
                return False
            self._recorded.add(key)
            return True

    def forget(self, experiment_id: str, customer_id: str) -> None:
        """Undo `mark` when spooling failed (the next request tries again)."""
        with self._lock:
            self._recorded.discard((experiment_id, customer_id))
