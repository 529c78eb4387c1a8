"""What the service does, without HTTP: recommendations, similar products, orders, experiments, status.

One `Service` per process, created in the app's lifespan: the model registry (hot swap), the spool (durable
orders and assignments), the overlay of purchases posted since training (online updates) and the experiments.
Every request takes the snapshots it needs once; nothing per request is stored on a shared model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from recs.errors import InputError, NotFound
from recs.models.base import check_k
from recs.models.folding import fold_kind
from recs.rules import Rules
from recs.service.experiments import KEEP, ExperimentBook, assign
from recs.service.helper_process import HelperProcess
from recs.service.lists import LIST_DEPTH, items_of
from recs.service.online import FoldCache, FoldWorker, Overlay, Purchase, recommend_online, without_bought
from recs.service.schemas import Order
from recs.service.serving import ModelRegistry, Served, Watcher, settle
from recs.service.spool import Spool, imported_through

NO_MODEL = "no trained model: cold-start list"
FOLD_WAIT_SECONDS = 0.01  # how long a request waits for its customer's fold before answering unfolded (p99 < 25 ms)


@dataclass(frozen=True)
class Settings:
    """How the service was started."""

    db_path: Path
    spool_dir: Path
    experiments_file: Path
    model: str | None = None
    poll_seconds: float = 0.5


class FieldError(InputError):
    """Bad input in one field of a request (the API answers 422 naming it)."""

    def __init__(self, field: str, reason: str, status: int = 422) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason, self.status = field, reason, status


@dataclass
class Answer:
    """A list for one request: the body and whether it is the no-model cold start (a header says so)."""

    body: dict[str, Any]
    cold_start_reason: str | None = None


class Service:
    """The recommendation service of one database (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.helper = HelperProcess(settings.db_path)  # folds and prepared lists, outside this process
        self.registry = ModelRegistry(settings.db_path, settings.model, prepare=self._prepare)
        self.spool = Spool(settings.spool_dir)
        self.overlay = Overlay()
        self.views = FoldCache()
        self.folds = FoldWorker(self.helper)
        self.book = ExperimentBook(settings.experiments_file)
        self.orders_seen: set[str] = set()
        self.watcher = Watcher(self.registry, self._refresh, settings.poll_seconds)

    def start(self) -> None:
        """Load the models, read the spool back (idempotency, online updates, assignments), start watching."""
        self.registry.start()
        for record in self.spool.records():
            if record.kind == "order":
                self._remember_order(record.data, record.file, record.end)
            else:
                self.book.mark(str(record.data.get("experiment_id")), str(record.data.get("customer_id")))
        self._refresh()
        settle()
        self.watcher.start()

    def stop(self) -> None:
        self.watcher.stop()
        self.helper.stop()
        with self.spool.lock:
            self.spool.close()

    def _refresh(self) -> None:
        self.overlay.set_done(imported_through(self.settings.spool_dir))
        self.book.check()

    def _remember_order(self, data: dict[str, Any], file: str, end: int) -> None:
        order_id = str(data.get("order_id"))
        self.orders_seen.add(order_id)
        purchases = [Purchase(str(line.get("product_id")), order_id, file, end) for line in data.get("lines", [])]
        self.overlay.add(str(data.get("customer_id")), purchases)

    # ---- recommendations ---------------------------------------------------------------------------------
    def _served(self, model: str | None) -> Served | None:
        try:
            return self.registry.get(model)
        except NotFound as exc:
            raise FieldError("model", str(exc), 404) from None

    def rules(self) -> Rules:
        bundle = self.registry.bundle
        return bundle.rules if bundle is not None else Rules()

    def _cold_answer(self, k: int) -> Answer:
        bundle = self.registry.bundle
        items = list(bundle.cold_list[:k]) if bundle is not None else []
        return Answer({"model": None, "version": None, "items": items, "cold_start": True}, NO_MODEL)

    def recommendations(self, customer_id: str, k: int, model: str | None = None, product_id: str | None = None,
                        experiment: str | None = None, block: bool = True) -> Answer | None:
        """The customer's list as `python -m recs recommend` gives it, with their orders posted since training.

        With `block=False` (the HTTP route, on its event loop) it answers only what is a lookup: a prepared or an
        already folded list of a loaded model; None means the request needs a worker thread (an experiment's
        assignment is written to the spool, a model loads, a fold is worth waiting for, or the list is computed).
        """
        k = self._k(k)
        customer_id = customer_id.strip()
        if not customer_id:
            raise FieldError("customer_id", "empty value")
        if not block and (experiment is not None or not self.registry.is_loaded(model)):
            return None
        assigned = None
        if experiment is not None:
            variant, assigned = self._assign(experiment, customer_id)
            if variant.model is None:
                served = self._served(model)
                return Answer({"model": None if served is None else served.name,
                               "version": None if served is None else served.version, "items": [],
                               "experiment": assigned})
            if variant.model is not KEEP:
                model = variant.model
        served = self._served(model)
        if served is None:
            answer = self._cold_answer(k)
            answer.body["experiment"] = assigned
            return answer
        run = served.run
        purchases = self.overlay.since(customer_id, run.data_version)
        known = run.model.data_.customer_index(customer_id) is not None or bool(purchases)
        folds = bool(purchases) and fold_kind(run.model) != "exclude"
        if folds and k <= LIST_DEPTH:  # folded off the request path; waited for a moment, else served unfolded
            if not block and self.folds.worth_waiting(FOLD_WAIT_SECONDS):
                items = self._folded(served, customer_id, purchases, 0.0)
                if items is None:
                    return None
            else:
                items = self._folded(served, customer_id, purchases, FOLD_WAIT_SECONDS if block else 0.0)
            if items is not None:
                return Answer({"model": served.name, "version": served.version, "items": items[:k],
                               "experiment": assigned})
            folds = False
        ready = None if folds else self._prepared(served, customer_id, k, purchases, known, product_id)
        if ready is not None:
            return Answer({"model": served.name, "version": served.version, "items": ready, "experiment": assigned})
        if not block:
            return None
        if not known and product_id is not None:
            frame = self._similar_frame(served, product_id, k)
        else:
            frame = (recommend_online(run.model, customer_id, k, served.bundle.rules, purchases, self.views,
                                      self._model_key(served)) if folds else
                     without_bought(run.model, customer_id, k, served.bundle.rules, purchases))
        return Answer({"model": served.name, "version": served.version, "items": items_of(frame),
                       "experiment": assigned})

    @staticmethod
    def _model_key(served: Served) -> tuple:
        return served.name, served.version, id(served.run.model)

    def _folded(self, served: Served, customer_id: str, purchases: tuple, wait: float
                ) -> list[dict[str, Any]] | None:
        """The customer's folded top 20 from the helper process (None: not ready within `wait` seconds)."""
        return self.folds.folded_items(served.name, served.version, customer_id, served.bundle.rules, purchases,
                                       wait)

    def _prepare(self, served: Served) -> dict[str, tuple] | None:
        """A newly loaded model's prepared lists, made by the helper process (None: it could not)."""
        try:
            return self.helper.lists(served.name, served.version, served.bundle.rules)
        except (OSError, BrokenPipeError):
            return None

    @staticmethod
    def _prepared(served: Served, customer_id: str, k: int, purchases: tuple, known: bool,
                  product_id: str | None) -> list[dict[str, Any]] | None:
        """The list from the lists prepared at load without the products bought since (the unfolded list)."""
        if not known and product_id is not None:
            return None  # a product page: similar items
        rules = served.bundle.rules
        drop = frozenset(p.product_id for p in purchases) if rules.exclude_purchased else frozenset()
        in_model = served.run.model.data_.customer_index(customer_id) is not None
        return served.lists.get(customer_id if in_model else None, k, drop)

    def _assign(self, experiment_id: str, customer_id: str) -> tuple[Any, dict[str, str]]:
        try:
            exp = self.book.get(experiment_id)
        except NotFound as exc:
            raise FieldError("experiment", str(exc), 404) from None
        variant = assign(exp, customer_id)
        if self.book.mark(exp.id, customer_id):
            record = {"experiment_id": exp.id, "customer_id": customer_id, "variant": variant.name,
                      "planned_split": exp.planned_split()}
            try:
                with self.spool.lock:
                    record["assigned_at"] = pd.Timestamp.now(tz="UTC").tz_localize(None).isoformat(sep=" ")
                    self.spool.append("assignment", record)
            except BaseException:
                self.book.forget(exp.id, customer_id)
                raise
        return variant, {"id": exp.id, "variant": variant.name}

    @staticmethod
    def _k(k: int) -> int:
        try:
            return check_k(k)
        except InputError as exc:
            raise FieldError("k", str(exc)) from None

    def _similar_frame(self, served: Served, product_id: str, k: int) -> pd.DataFrame:
        try:
            frame = served.run.model.similar_items(product_id, k=k)
        except NotFound as exc:
            raise FieldError("product_id", str(exc), 404) from None
        model = served.run.model
        j = model.data_.product_index(product_id)
        name = str(model.info.names[j])
        return frame.assign(reason=f"Similar to {name}: {model.why}")

    def similar(self, product_id: str, k: int, model: str | None = None) -> dict[str, Any]:
        """Products like `product_id` ("bought together" for a product page)."""
        k = self._k(k)
        served = self._served(model)
        if served is None:
            raise FieldError("model", "no trained model: train one first (python -m recs train)", 404)
        frame = self._similar_frame(served, product_id, k)
        return {"model": served.name, "version": served.version, "product_id": product_id,
                "items": items_of(frame)}

    # ---- orders ------------------------------------------------------------------------------------------
    def _check_products(self, order: Order) -> None:
        bundle = self.registry.bundle
        served = self.registry.get(None) if bundle is None else None
        for i, line in enumerate(order.lines):
            known = (bundle.knows_product(line.product_id) if bundle is not None
                     else served is None or served.run.model.data_.product_index(line.product_id) is not None)
            if not known:
                raise FieldError(f"lines[{i}].product_id", f"unknown product {line.product_id!r} (not in the "
                                 "catalogue the serving model was trained with)")

    def post_order(self, order: Order) -> tuple[bool, str]:
        """Spool the order durably (fsync'd before returning) unless its id was seen; (new, order id)."""
        self._check_products(order)
        data = order.model_dump()
        with self.spool.lock:
            if order.order_id in self.orders_seen:
                return False, order.order_id
            record = self.spool.append("order", data)
            self._remember_order(data, record.file, record.end)
        served = self.registry.get(None)
        if served is not None and fold_kind(served.run.model) != "exclude":  # start folding for the next request
            customer = str(data.get("customer_id"))
            self._folded(served, customer, self.overlay.since(customer, served.run.data_version), 0.0)
        return True, order.order_id

    # ---- status ------------------------------------------------------------------------------------------
    def models(self) -> dict[str, Any]:
        out = self.registry.describe()
        served = self.registry.get(None) if out["serving"] else None
        version = None if served is None else served.run.data_version
        out["online"] = {"orders_folded_in": self.overlay.orders_since(version),
                         "orders_spooled": len(self.orders_seen), "swaps": self.registry.swaps}
        out["experiments"] = {e.id: e.planned_split() for e in self.book.all().values()}
        out["experiments_error"] = self.book.error
        return out
