"""Hyper-parameter search per model on a validation window that lies wholly before the evaluation cutoff.

For cutoff C and horizon H: fit on lines before C - H, score on purchases in [C - H, C) with the same metrics as
the evaluation (NDCG@k, mean of the "new" and "all" modes), over the model class's small `param_grid`. Lines at
or after C are never read (`load_lines` stops before C, and the frame is filtered again here).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pandas as pd

from recs.errors import ModelCannotFit
from recs.evaluation.scoring import Scorer, model_lists
from recs.evaluation.split import MODES, split_frames, to_timestamp
from recs.evaluation.training_data import DataCache, load_lines
from recs.models import get_class

MAX_COMBOS = 12


def grid(name: str, max_combos: int = MAX_COMBOS) -> list[dict[str, Any]]:
    """The parameter combinations tried for model `name` (its class's param_grid, at most `max_combos`)."""
    spec = get_class(name).param_grid
    keys = list(spec)
    combos = [dict(zip(keys, values, strict=True)) for values in itertools.product(*(spec[k] for k in keys))]
    return combos[:max_combos] or [{}]


def tune_model(lines: pd.DataFrame, products: pd.DataFrame, cutoff: Any, name: str, horizon_days: int = 30,
               k: int = 10, progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """Best parameters for `name`: {"params": dict, "table": one row per combination with ndcg_new, ndcg_all,
    score}. Falls back to the defaults ({}) when the validation window has no usable data."""
    cutoff = to_timestamp(cutoff)
    cls = get_class(name)
    lines = lines[pd.to_datetime(lines["ordered_at"]) < cutoff]  # never anything at or after the cutoff
    start = cutoff - pd.Timedelta(days=int(horizon_days))
    when = pd.to_datetime(lines["ordered_at"])
    train, valid = lines[when < start], lines[when >= start]
    empty = {"params": {}, "table": pd.DataFrame(columns=["params", "ndcg_new", "ndcg_all", "score"])}
    if train.empty or valid.empty:
        return empty
    split = split_frames(train, valid, start, cutoff)
    if not split.bought:
        return empty
    cache = DataCache(train, products, start)
    scorer = Scorer(split, cache.get("binary"), k)
    data = cache.get(getattr(cls, "default_weighting", "binary"))
    rows = []
    combos = grid(name)
    for n, params in enumerate(combos):
        if progress:
            progress(n / len(combos), f"{name}: trying {params}")
        try:
            model = cls(**params).fit(data)
        except ModelCannotFit:  # this combination cannot learn from the window: it is not a candidate
            continue
        ndcg = {mode: scorer.score(model_lists(model, scorer.customers(mode), k, mode), mode)["ndcg"]
                for mode in MODES}
        scored = [v for v in ndcg.values() if v == v]  # a mode without test customers (NaN) does not count
        rows.append({"params": params, "ndcg_new": ndcg["new"], "ndcg_all": ndcg["all"],
                     "score": sum(scored) / len(scored) if scored else float("nan")})
    table = pd.DataFrame(rows, columns=empty["table"].columns)
    if table["score"].isna().all():
        return {"params": {}, "table": table}
    best = table.loc[table["score"].idxmax(), "params"]
    return {"params": dict(best), "table": table}


def tune(con: Any, cutoff: Any, name: str, horizon_days: int = 30, k: int = 10,
         progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """`tune_model` on the warehouse: reads only valid lines strictly before `cutoff`."""
    cutoff = to_timestamp(cutoff)
    lines, products = load_lines(con, cutoff)
    return tune_model(lines, products, cutoff, name, horizon_days=horizon_days, k=k, progress=progress)
