"""Offline evaluation of recommenders on a temporal split (formulas in docs/models.md).

Public API: `temporal_split(con, cutoff, horizon_days)`, `evaluate_models(con, cutoff, ...)` (with
`best_models(table)`, the one tie rule, and `blank_notes(table)`, why a figure is blank),
`compare_to_best(per_customer)` (is a model's gap to the best larger than the test's noise?) and `tune(con, cutoff,
name)` (a model's parameters from a small grid on a validation window before the cutoff).

Imports run one way: evaluate -> tuning -> (scoring -> metrics), training_data, split; compare stands alone.
"""

from recs.evaluation.compare import COMPARE_COLUMNS, compare_to_best
from recs.evaluation.evaluate import COLUMNS, best_models, blank_notes, evaluate_models
from recs.evaluation.split import MODES, Split, temporal_split
from recs.evaluation.tuning import tune

__all__ = ["COLUMNS", "COMPARE_COLUMNS", "MODES", "Split", "best_models", "blank_notes", "compare_to_best",
           "evaluate_models", "temporal_split", "tune"]
