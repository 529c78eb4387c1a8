"""Run registry models on a temporal split and score them: the comparison table of the page and the CLI.

Every model is fitted on valid lines strictly before the cutoff, asked for top-k lists for the test customers, and
scored by `recs.evaluation.metrics` in both modes ("new": purchased products excluded from the lists and from
the relevant set; "all": re-buys count and purchased products may be recommended). A caller's Rules apply in
both modes except `exclude_purchased`, which the mode sets.

Blank, never 0: a mode with no test customer has blank figures, and a model that cannot learn from the shop
(ModelCannotFit) blank figures for both modes; the `note` column says why (`blank_notes` words it for people).
The best model of a mode is the one with the highest NDCG, a tie going to the first name alphabetically
(`best_models`, the rule `compare_to_best` uses too).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recs import db
from recs.errors import InputError, ModelCannotFit
from recs.evaluation.scoring import Scorer, model_lists
from recs.evaluation.split import MODES, temporal_split, to_timestamp
from recs.evaluation.training_data import WarehouseData
from recs.evaluation.tuning import tune_model
from recs.export import require_products
from recs.models import get_class, model_names
from recs.models.base import check_k
from recs.rules import Rules

COLUMNS = ["model", "mode", "k", "precision", "recall", "ndcg", "map", "hit_rate", "coverage", "novelty",
           "diversity", "customers", "fit_seconds", "note"]
FIGURES = ["precision", "recall", "ndcg", "map", "hit_rate", "coverage", "novelty", "diversity"]
NO_TEST_CUSTOMERS = {
    "new": "no test customer bought a product they had not bought before the cutoff: nothing to score",
    "all": "no test customer bought anything in the test window: nothing to score",
}
Progress = Callable[[float, str], None]


def check_request(con: Any, k: Any, models: Sequence[str] | None) -> tuple[int, list[str]]:
    """Validate k, the model names and that the database has orders (InputError otherwise)."""
    k = check_k(k)
    names = list(models) if models else model_names()
    for name in names:
        get_class(name)  # unknown -> InputError listing the known models
    if not db.has_orders(con):
        raise InputError("the database has no orders: import an order file first")
    require_products(con)
    return k, names


def evaluate_models(con: Any, cutoff: Any, horizon_days: int = 30, k: int = 10, models: Sequence[str] | None = None,
                    params: Mapping[str, Mapping[str, Any]] | None = None, rules: Rules | None = None,
                    tune: bool = False, progress: Progress | None = None,
                    per_customer: dict[tuple[str, str], pd.Series] | None = None) -> pd.DataFrame:
    """Fit each model on lines before `cutoff`, score it on the next `horizon_days`: one row per (model, mode).

    Columns: model, mode, k, precision, recall, ndcg, map, hit_rate, coverage, novelty, diversity, customers,
    fit_seconds, note (why a row's figures are blank; empty otherwise). `params` maps a model name to parameters; `tune=True` first picks parameters per model by a
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
        try:
            model = cls(**chosen).fit(data)
        except ModelCannotFit as exc:  # the others are still compared; this one's row says why it is blank
            rows.extend({"model": name, "mode": mode, "k": k, **dict.fromkeys(FIGURES, np.nan),
                         "customers": len(scorer.customers(mode)), "fit_seconds": np.nan, "note": str(exc)}
                        for mode in MODES)
            continue
        fit_seconds = time.perf_counter() - start
        for mode in MODES:
            report(n * step + (0.5 if mode == "new" else 0.8) * step, f"{name}: scoring ({mode})")
            lists = model_lists(model, scorer.customers(mode), k, mode, rules)
            scores, ndcg = scorer.score_detail(lists, mode)
            note = "" if scores["customers"] else NO_TEST_CUSTOMERS[mode]
            rows.append({"model": name, "mode": mode, "k": k, **scores, "fit_seconds": fit_seconds, "note": note})
            if per_customer is not None and scores["customers"]:
                per_customer[(name, mode)] = ndcg
    report(1.0, "done")
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["customers"] = out["customers"].astype(np.int64)
    out["k"] = out["k"].astype(np.int64)
    out["note"] = out["note"].fillna("").astype(str)
    return out


TIE = 1e-12  # NDCGs this close are a tie: the same mean summed in another order differs in the last digits


def best_name(ndcg: Mapping[str, float]) -> str | None:
    """The one rule for "best": the highest NDCG; a tie (within TIE) goes to the first model name alphabetically;
    blank (NaN) figures never win; None when no model has a figure."""
    scored = {name: float(v) for name, v in ndcg.items() if v == v}
    if not scored:
        return None
    top = max(scored.values())
    return min(name for name, v in scored.items() if v >= top - TIE)


def best_models(table: pd.DataFrame) -> dict[str, str | None]:
    """The best model of each mode by `best_name` (page and CLI alike); None for a mode without figures."""
    return {mode: best_name(dict(zip(part["model"], part["ndcg"], strict=True)))
            for mode, part in table.groupby("mode", sort=False)}


def blank_notes(table: pd.DataFrame) -> list[str]:
    """One plain-language line per reason a figure is blank: a mode without test customers, a model that could
    not learn from the shop."""
    lines = []
    for note, part in table[table["note"] != ""].groupby("note", sort=False):
        if note in NO_TEST_CUSTOMERS.values():
            lines.append(f"{', '.join(dict.fromkeys(part['mode']))}: {note}")
        else:
            lines.append(note)
    return lines
