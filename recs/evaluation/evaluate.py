"""Run registry models on a temporal split and score them: the comparison table of the page and the CLI.

Every model is fitted on valid lines strictly before the cutoff, asked for top-k lists for the test customers, and
scored by `recs.evaluation.metrics` in both modes ("new": purchased products excluded from the lists and from
the relevant set; "all": re-buys count and purchased products may be recommended). A caller's Rules apply in
both modes except `exclude_purchased`, which the mode sets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recs import db
from recs.errors import InputError
from recs.evaluation.scoring import Scorer, model_lists
from recs.evaluation.split import MODES, temporal_split, to_timestamp
from recs.evaluation.training_data import WarehouseData
from recs.evaluation.tuning import tune_model
from recs.models import get_class, model_names
from recs.models.base import check_k
from recs.rules import Rules

COLUMNS = ["model", "mode", "k", "precision", "recall", "ndcg", "map", "hit_rate", "coverage", "novelty",
           "diversity", "customers", "fit_seconds"]
Progress = Callable[[float, str], None]


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
    small grid search on a validation window before the cutoff (`recs.evaluation.tuning`), overriding `params`.
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
