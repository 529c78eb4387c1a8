"""Offline evaluation of recommenders on a temporal split (formulas in docs/models.md).

Public API: `temporal_split(con, cutoff, horizon_days)`, `evaluate_models(con, cutoff, ...)` and
`compare_to_best(per_customer)` (is a model's gap to the best larger than the test's noise?).
"""

from recs.evaluation.compare import COMPARE_COLUMNS, compare_to_best
from recs.evaluation.evaluate import COLUMNS, evaluate_models
from recs.evaluation.split import MODES, Split, temporal_split

__all__ = ["COLUMNS", "COMPARE_COLUMNS", "MODES", "Split", "compare_to_best", "evaluate_models", "temporal_split"]
