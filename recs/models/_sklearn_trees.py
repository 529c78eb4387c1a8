"""The hybrid's tree ensemble without pickle: every use of scikit-learn's private API is in this one module.

scikit-learn has no public API for the nodes of a fitted HistGradientBoostingClassifier, nor for predicting with
trees that were not fitted in this process. The hybrid needs both: a model file holds the trees as plain numpy
arrays (np.load with allow_pickle=False, no pickled estimator), and scoring walks them with scikit-learn's compiled
traversal. So this module reads the private `_predictors` / `_baseline_prediction` of the fitted classifier
(`tree_arrays`) and rebuilds private `TreePredictor` objects from the arrays (`compile_trees`).

Why not a numpy traversal of the arrays instead (public API only): measured on Online Retail at the 2011-09-01
cutoff (3,314 customers, 394,070 candidates, 150 trees; CPU seconds, on a busy 2-core machine), the trees alone
take 2.2 s with the compiled traversal and 38.2 s with a vectorised numpy walk (same results to the bit), and
`recommend(k=10)` of every customer with reasons 5.2 s against 39.7 s.

There is no fallback: when scikit-learn changes these internals, `SklearnTreesChanged` is raised, and
tests/test_hybrid.py::test_sklearn_tree_internals_still_match_predict_proba fails on real data (the arrays and the
rebuilt predictors must agree with `clf.decision_function` and `clf.predict_proba`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

KEYS = ("feature", "threshold", "missing_left", "left", "right", "leaf", "value", "offsets", "baseline")
TREE_BLOCK = 4096  # rows per block: 4,096 x 24 float64 features stay in cache while every tree walks them
_NODE_COLUMNS = {"value": "value", "feature_idx": "feature", "num_threshold": "threshold",
                 "missing_go_to_left": "missing_left", "left": "left", "right": "right", "is_leaf": "leaf"}


class SklearnTreesChanged(RuntimeError):
    """scikit-learn's private tree internals are not what this module was written against."""


def _changed(exc: Exception) -> SklearnTreesChanged:
    import sklearn

    return SklearnTreesChanged(f"scikit-learn {sklearn.__version__} changed the internals of "
                               f"HistGradientBoostingClassifier that recs/models/_sklearn_trees.py reads ({exc}); "
                               "update that module (its test in tests/test_hybrid.py shows what differs)")


def empty_arrays() -> dict[str, np.ndarray]:
    """The arrays of an ensemble with no trees (the hybrid had too little history to learn from)."""
    out = {key: np.zeros(0, dtype=np.int64) for key in ("feature", "left", "right", "offsets")}
    out.update(threshold=np.zeros(0), missing_left=np.zeros(0, bool), leaf=np.zeros(0, bool), value=np.zeros(0),
               baseline=np.zeros(0))
    return out


def tree_arrays(clf: Any) -> dict[str, np.ndarray]:
    """The fitted binary HistGradientBoostingClassifier's trees as flat numpy arrays (keys: KEYS)."""
    try:
        nodes = [pred.nodes for stage in clf._predictors for pred in stage]
        flat = np.concatenate(nodes)
        out = {key: flat[column] for column, key in _NODE_COLUMNS.items()}
        baseline = np.asarray(clf._baseline_prediction, dtype=np.float64).ravel()[:1]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise _changed(exc) from exc
    return {"feature": out["feature"].astype(np.int64), "threshold": out["threshold"].astype(np.float64),
            "missing_left": out["missing_left"].astype(bool), "left": out["left"].astype(np.int64),
            "right": out["right"].astype(np.int64), "leaf": out["leaf"].astype(bool),
            "value": out["value"].astype(np.float64),
            "offsets": np.cumsum([0] + [len(x) for x in nodes]).astype(np.int64), "baseline": baseline}


def compile_trees(t: dict[str, np.ndarray]) -> list:
    """scikit-learn TreePredictor objects rebuilt from the arrays (one per tree), for `predict_raw`."""
    try:
        from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
        from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

        no_cats = np.zeros((0, 8), dtype=np.uint32)
        out = []
        offsets = t["offsets"]
        for a, b in zip(offsets[:-1], offsets[1:], strict=True):
            nodes = np.zeros(b - a, dtype=PREDICTOR_RECORD_DTYPE)
            for column, key in _NODE_COLUMNS.items():
                nodes[column] = t[key][a:b]
            out.append(TreePredictor(nodes, no_cats, no_cats))
    except (ImportError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise _changed(exc) from exc
    return out


def predict_raw(t: dict[str, np.ndarray], predictors: list, x: np.ndarray) -> np.ndarray:
    """Raw score (log-odds) of the ensemble `t` for rows of `x`, walked by `predictors` (from `compile_trees(t)`):
    x <= threshold goes left, NaN goes where training sent missing values, as scikit-learn predicts."""
    out = np.full(len(x), float(t["baseline"][0]) if len(t["baseline"]) else 0.0)
    if len(t["offsets"]) <= 1 or len(x) == 0:
        return out
    try:
        return out + _sum_of_trees(predictors, np.ascontiguousarray(x, dtype=np.float64))
    except (AttributeError, TypeError) as exc:
        raise _changed(exc) from exc


def _sum_of_trees(predictors: list, x: np.ndarray) -> np.ndarray:
    """Sum of the trees' outputs, block by block: each block of rows goes through all trees while it is in
    cache (tree by tree over the whole matrix re-reads it from memory once per tree), and the blocks are shared
    by two worker threads (the compiled traversal releases the GIL)."""
    no_cats = np.zeros((0, 8), dtype=np.uint32)
    f_idx = np.zeros(x.shape[1], dtype=np.uint32)
    total = np.zeros(len(x))

    def run(start: int) -> None:
        block = x[start:start + TREE_BLOCK]
        acc = np.zeros(len(block))
        for pred in predictors:
            acc += pred.predict(block, no_cats, f_idx, 1)
        total[start:start + TREE_BLOCK] = acc

    starts = range(0, len(x), TREE_BLOCK)
    workers = max(1, min(2, os.cpu_count() or 1, len(starts)))
    if workers == 1:
        for s in starts:
            run(s)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, starts))
    return total
