"""Which models the service serves, loaded from the model store, swapped for newer versions without a restart.

`ModelRegistry` keeps one immutable `Served` snapshot per model name. A request takes the snapshot once and uses
it to the end, so a swap never changes a model under a running request; `check()` (run by a watcher thread every
half second) reloads the models whose files changed (`store.stored_stamp`) in the background and then swaps the
reference, so no request waits for a load or fails during one.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from recs.errors import NotFound, RepeatError
from recs.models.store import load_model, stored_metas, stored_stamp
from recs.rules import default_intent, with_intent
from recs.runs import TrainedModel
from recs.service.bundle import Bundle, bundle_from_model, read_bundle
from recs.service.lists import PREPARE_MAX_CUSTOMERS, Lists

log = logging.getLogger("recs.service")


Prepare = Callable[["Served"], "dict[str, tuple] | None"]  # a served model's lists, made elsewhere (None: failed)


@dataclass(frozen=True)
class Served:
    """One model as served: the run, the version the responses name, the bundle it is served with."""

    run: TrainedModel
    version: str
    bundle: Bundle
    lists: Lists = field(default_factory=Lists, compare=False)

    @property
    def name(self) -> str:
        return self.run.name


def run_version(run: TrainedModel) -> str:
    """The version a response names: the run id when the store gives one, else the training time."""
    run_id = getattr(run, "run_id", None) or run.extra.get("run_id")
    return str(run_id) if run_id not in (None, "") else run.trained_at


def newest_name(db_path: str | Path) -> str | None:
    """The stored model trained most recently (the one served by default), or None."""
    metas = [(str(meta.get("trained_at") or ""), str(meta.get("name") or stem)) for stem, meta in stored_metas(db_path)]
    return max(metas)[1] if metas else None


class ModelRegistry:
    """The served models of one database (thread-safe; snapshots are read-only)."""

    def __init__(self, db_path: str | Path, default: str | None = None, prepare: Prepare | None = None) -> None:
        self.db_path = Path(db_path)
        self.prepare = prepare  # None: lists are computed in this process
        self.pinned = default  # a name given on the command line; else the newest stored model
        self._lock = threading.Lock()
        self._served: dict[str, Served] = {}
        self._stamp: tuple = ()
        self._default: str | None = None
        self._bundle: Bundle | None = None
        self.swaps = 0

    def _load(self, name: str, bundle: Bundle | None, precompute: bool = False) -> Served:
        run = load_model(self.db_path, name)
        shop_bundle = bundle or bundle_from_model(run)
        # the campaign intent that fits this model, as `python -m recs recommend` defaults it (a re-buy model such
        # as repeat or hybrid keeps purchased products), so the service and the CLI give the same list
        rules = with_intent(shop_bundle.rules, default_intent(run.model))
        served = Served(run, run_version(run), replace(shop_bundle, rules=rules))
        if precompute:
            self._fill(served)
        return served

    def _fill(self, served: Served) -> None:
        if served.run.model.data_.n_customers > PREPARE_MAX_CUSTOMERS:
            return
        if self.prepare is None:
            served.lists.fill(served.run.model, served.bundle.rules)
            return
        lists = self.prepare(served)
        if lists is not None:  # else requests compute their lists live (slower, still right)
            served.lists.adopt(lists)

    def precompute(self) -> None:
        """Fill the lists of the models loaded at start (the watcher thread calls it once, in the background)."""
        for served in list(self._served.values()):
            if not served.lists.ready:
                self._fill(served)

    def start(self) -> None:
        """Load the default model (if any) before the service answers."""
        self._stamp = stored_stamp(self.db_path)
        self._bundle = read_bundle(self.db_path)
        self._default = self.pinned or newest_name(self.db_path)
        if self._default is not None:
            self._served[self._default] = self._load(self._default, self._bundle)

    @property
    def default_name(self) -> str | None:
        return self._default

    @property
    def bundle(self) -> Bundle | None:
        """The serving bundle (None when no model was ever trained with this version of Repeat)."""
        return self._bundle

    def names(self) -> list[str]:
        """Every stored model name."""
        return sorted({str(meta.get("name") or stem) for stem, meta in stored_metas(self.db_path)})

    def is_loaded(self, name: str | None = None) -> bool:
        """Whether `get(name)` answers without loading or reading the store (no model at all counts as loaded)."""
        name = name or self._default
        return name is None or name in self._served

    def get(self, name: str | None = None) -> Served | None:
        """The snapshot of model `name` (the default when None); None when no model is stored at all.
        NotFound for a name that is not stored."""
        name = name or self._default
        if name is None:
            return None
        served = self._served.get(name)
        if served is not None:
            return served
        if name not in self.names():
            raise NotFound(f"unknown model {name!r}; stored models: {', '.join(self.names()) or 'none'}")
        with self._lock:  # one load per name at a time
            served = self._served.get(name)
            if served is None:
                served = self._load(name, self._bundle)
                self._served = {**self._served, name: served}
        return served

    def check(self) -> bool:
        """Reload what changed in the store; True when a snapshot was swapped."""
        stamp = stored_stamp(self.db_path)
        if stamp == self._stamp:
            return False
        bundle = read_bundle(self.db_path)
        default = self.pinned or newest_name(self.db_path)
        fresh: dict[str, Served] = {}
        for name in {*self._served, *([default] if default else [])}:
            try:
                fresh[name] = self._load(name, bundle, precompute=True)  # before the swap: no slow first minute
            except (RepeatError, OSError, ValueError, KeyError) as exc:  # deleted or being written: keep the old
                log.warning("model %s not reloaded: %s", name, type(exc).__name__)
                if name in self._served:
                    fresh[name] = self._served[name]
        with self._lock:
            self._served, self._default, self._bundle, self._stamp = fresh, default, bundle, stamp
            self.swaps += 1
        return True

    def describe(self) -> dict[str, Any]:
        """What /v1/models says: the default model, its version, when and on what it was trained."""
        served = self._served.get(self._default) if self._default else None
        out: dict[str, Any] = {"default": self._default, "stored": self.names(), "serving": None,
                               "message": None}
        if served is None:
            out["message"] = ("no trained model: answering with the cold-start list; train one "
                              "(python -m recs train or the Recommendations page)")
            return out
        run = served.run
        out["serving"] = {"model": run.name, "kind": run.model.name, "version": served.version,
                          "trained_at": run.trained_at, "train_cutoff": run.train_cutoff,
                          "data_version": run.data_version, "customers": run.customers, "products": run.products,
                          "interactions": run.interactions, "params": run.params, "weighting": run.weighting,
                          "lists_prepared": served.lists.ready}
        return out


def settle() -> None:
    """Leave everything loaded so far (modules, the served models, their lists) out of Python's cycle collector
    from now on (`gc.freeze`). Its full passes over all of it paused every thread of the service for 200-260 ms
    at a time, the worst of bench_api's tail; new objects are still collected. A served model leaves no cycles
    behind when a swap drops it (checked: 0 unreachable objects), so nothing frozen is leaked by a swap."""
    gc.freeze()


class Watcher:
    """A daemon thread calling `registry.check()` (and `then()`) every `interval` seconds until stopped."""

    def __init__(self, registry: ModelRegistry, then: Any = None, interval: float = 0.5) -> None:
        self.registry, self.then, self.interval = registry, then, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="model-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        try:
            self.registry.precompute()
        except Exception:  # noqa: BLE001 - lists are an optimisation: requests compute them live instead
            log.exception("precomputing lists")
        settle()
        while not self._stop.wait(self.interval):
            try:
                if self.registry.check():
                    settle()
                if self.then is not None:
                    self.then()
            except Exception:  # noqa: BLE001 - the watcher must survive anything; the old models keep serving
                log.exception("model watcher")
