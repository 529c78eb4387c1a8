"""Run registry models on a temporal split and score them: the comparison table of the page and the CLI.

Every model is fitted on valid lines strictly before the cutoff, asked for top-k lists for the test customers, and
scored by `recs.evaluation.metrics` in both modes ("new": purchased products excluded from the lists and from
the relevant set; "all": re-buys count and purchased products may be recommended). A caller's Rules apply in
both modes except `exclude_purchased`, which the mode sets.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recs import db
from recs.errors import InputError
from recs.evaluation import metrics
from recs.evaluation.split import MODES, Split, temporal_split, to_timestamp
from recs.interactions import LINES_SQL, PRODUCTS_SQL, Interactions, build_interactions, from_lines
from recs.models import get_class, model_names
from recs.models._util import check_k
from recs.rules import Rules

COLUMNS = ["model", "mode", "k", "precision", "recall", "ndcg", "map", "hit_rate", "coverage", "novelty",
           "diversity", "customers", "fit_seconds"]
Progress = Callable[[float, str], None]


def load_lines(con: Any, cutoff: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training lines strictly before `cutoff` and the real products (the same SQL as build_interactions)."""
    param = cutoff.to_pydatetime()
    return con.execute(LINES_SQL, [param, param]).df(), con.execute(PRODUCTS_SQL).df()


class DataCache:
    """Interactions per weighting from one set of training lines, each with its per-order events attached."""

    def __init__(self, lines: pd.DataFrame, products: pd.DataFrame, cutoff: pd.Timestamp) -> None:
        self.lines, self.products, self.cutoff = lines, products, cutoff
        self._cache: dict[str, Interactions] = {}

    def get(self, weighting: str) -> Interactions:
        if weighting not in self._cache:
            from recs.models.hybrid import with_events

            data = from_lines(self.lines, self.products, self.cutoff, weighting=weighting)
            self._cache[weighting] = with_events(data, self.lines)
        return self._cache[weighting]


class WarehouseData:
    """Interactions per weighting read straight from the warehouse (`build_interactions`, the same matrices and
    per-order events `from_lines` builds from the lines); the lines themselves are fetched only for tuning."""

    def __init__(self, con: Any, cutoff: pd.Timestamp) -> None:
        self.con, self.cutoff = con, cutoff
        self._cache: dict[str, Interactions] = {}
        self._lines: tuple[pd.DataFrame, pd.DataFrame] | None = None

    def get(self, weighting: str) -> Interactions:
        if weighting not in self._cache:
            self._cache[weighting] = build_interactions(self.con, until=self.cutoff, weighting=weighting)
        return self._cache[weighting]

    def lines(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        if self._lines is None:
            self._lines = load_lines(self.con, self.cutoff)
        return self._lines


@dataclasses.dataclass
class Scorer:
    """Scores top-k lists against a split: ranking metrics plus coverage, novelty and diversity."""

    split: Split
    data: Interactions
    k: int

    def __post_init__(self) -> None:
        binary = self.data.matrix.copy()
        binary.data[:] = 1.0
        self._vectors = metrics.item_vectors(binary)
        self._index = {str(p): j for j, p in enumerate(self.data.product_ids)}
        self._buyers = dict(zip(map(str, self.data.product_ids),
                                np.asarray((binary > 0).sum(axis=0)).ravel().tolist(), strict=True))

    def customers(self, mode: str) -> list[str]:
        return sorted(self.split.relevant(mode))

    def score(self, lists: Mapping[str, Sequence[str]], mode: str) -> dict[str, float]:
        return self._score(lists, mode)[0]

    def score_detail(self, lists: Mapping[str, Sequence[str]], mode: str) -> tuple[dict[str, float], pd.Series]:
        """The metrics of `score`, and NDCG@k per test customer of `mode` (index: customer id, sorted) from the
        same computation, for paired comparisons."""
        out, customers, arrays = self._score(lists, mode)
        return out, pd.Series(arrays["ndcg"], index=pd.Index(customers, dtype=object), dtype=np.float64).sort_index()

    def _score(self, lists: Mapping[str, Sequence[str]], mode: str) -> tuple[dict[str, float], list, dict]:
        relevant = self.split.relevant(mode)
        lists = {c: list(lists.get(c, ()))[: self.k] for c in relevant}
        computed = metrics.per_customer_metrics(lists, relevant, self.k)
        out = metrics.mean_ranking_metrics(lists, relevant, self.k, computed=computed)
        out["coverage"] = metrics.coverage(lists, self.data.n_products, self.k)
        out["novelty"] = metrics.novelty(lists, self._buyers, self.data.n_customers, self.k)
        out["diversity"] = metrics.diversity(lists, self._vectors, self._index, self.k)
        return (out, *computed)


def lists_from_frame(recs: pd.DataFrame) -> dict[str, list[str]]:
    """customer id -> product ids in rank order, from a `recommend` result."""
    recs = recs.sort_values(["customer_id", "rank"], kind="stable")
    customers = recs["customer_id"].astype(str).to_numpy()
    products = recs["product_id"].astype(str).to_numpy()
    if not len(customers):
        return {}
    starts = np.flatnonzero(np.r_[True, customers[1:] != customers[:-1]])  # one slice per customer, no groupby
    ends = np.r_[starts[1:], len(customers)]
    return {customers[s]: products[s:e].tolist() for s, e in zip(starts, ends, strict=True)}


def model_lists(model: Any, customers: list[str], k: int, mode: str, rules: Rules | None = None) -> dict:
    """Top-k lists of a fitted registry model for `customers` in `mode` (rules' exclude_purchased set by mode)."""
    rules = dataclasses.replace(rules or Rules(), exclude_purchased=(mode == "new"))
    return lists_from_frame(model.recommend(customers, k=k, rules=rules, reasons=False))


def check_request(con: Any, k: Any, models: Sequence[str] | None) -> tuple[int, list[str]]:
    """Validate k, the model names and that the database has orders (InputError otherwise)."""
    k = check_k(k)
    names = list(models) if models else model_names()
    for name in names:
        get_class(name)  # unknown -> InputError listing the known models
    if not db.has_orders(con):
        raise InputError("the database has no orders: import an order file first")
    return k, names


def evaluate_models(con: Any, cutoff: Any, horizon_days: int = 30, k: int = 10, models: Sequence[str] | None = None,
                    params: Mapping[str, Mapping[str, Any]] | None = None, rules: Rules | None = None,
                    tune: bool = False, progress: Progress | None = None,
                    per_customer: dict[tuple[str, str], pd.Series] | None = None) -> pd.DataFrame:
    """Fit each model on lines before `cutoff`, score it on the next `horizon_days`: one row per (model, mode).

    Columns: model, mode, k, precision, recall, ndcg, map, hit_rate, coverage, novelty, diversity, customers,
    fit_seconds. `params` maps a model name to parameters; `tune=True` first picks parameters per model by a
    small grid search on a validation window before the cutoff (`recs.tuning`), overriding `params`.
    When a dict is passed as `per_customer`, it receives NDCG@k per test customer for each (model, mode), for
    `recs.evaluation.compare.compare_to_best`.
    """
    k, names = check_request(con, k, models)
    cutoff = to_timestamp(cutoff)
    split = temporal_split(con, cutoff, horizon_days)
    cache = WarehouseData(con, cutoff)
    scorer = Scorer(split, cache.get("binary"), k)
    params = dict(params or {})
    rows = []
    report = progress or (lambda _f, _m: None)
    for n, name in enumerate(names):
        step = 1.0 / len(names)
        cls = get_class(name)
        chosen = dict(params.get(name, {}))
        if tune:
            from recs.tuning import tune_model

            report(n * step, f"{name}: tuning")
            chosen = tune_model(*cache.lines(), cutoff, name, horizon_days=horizon_days, k=k)["params"]
        report(n * step + 0.2 * step, f"{name}: fitting")
        data = cache.get(getattr(cls, "default_weighting", "binary"))
        start = time.perf_counter()
        model = cls(**chosen).fit(data)
        fit_seconds = time.perf_counter() - start
        for mode in MODES:
            report(n * step + (0.5 if mode == "new" else 0.8) * step, f"{name}: scoring ({mode})")
            lists = model_lists(model, scorer.customers(mode), k, mode, rules)
            scores, ndcg = scorer.score_detail(lists, mode)
            rows.append({"model": name, "mode": mode, "k": k, **scores, "fit_seconds": fit_seconds})
            if per_customer is not None:
                per_customer[(name, mode)] = ndcg
    report(1.0, "done")
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["customers"] = out["customers"].astype(np.int64)
    out["k"] = out["k"].astype(np.int64)
    return out
