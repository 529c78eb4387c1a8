"""Offline evaluation of recommenders on a temporal split (formulas in docs/models.md).

Public API: `temporal_split(con, cutoff, horizon_days)` and `evaluate_models(con, cutoff, ...)`.
"""

from recs.evaluation.evaluate import COLUMNS, evaluate_models
from recs.evaluation.split import MODES, Split, temporal_split

__all__ = ["COLUMNS", "MODES", "Split", "evaluate_models", "temporal_split"]
