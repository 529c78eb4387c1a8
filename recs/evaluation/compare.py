"""Is a difference between two models real? Paired comparison of per-customer NDCG against the best model.

Every model is scored on the same test customers, so the honest question is about the per-customer differences:
d_c = NDCG_c(model) - NDCG_c(best). Their mean is the gap in the table; its 95 % interval is
mean(d) ± t(0.975, n - 1) · sd(d) / √n (a paired t interval; with hundreds of customers the t and normal values
agree to the third decimal). When the interval contains 0 the test window cannot tell the two models apart.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import special

from recs.evaluation.evaluate import best_name

COMPARE_COLUMNS = ["mode", "model", "ndcg", "best", "gap_to_best", "ci_low", "ci_high", "customers", "verdict"]


def paired_interval(diff: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of the mean of paired differences, a t interval; (mean, mean, mean) below two values."""
    diff = np.asarray(diff, dtype=np.float64)
    n = diff.size
    if n == 0:
        return 0.0, 0.0, 0.0
    mean = float(diff.mean())
    if n < 2:
        return mean, mean, mean
    half = float(special.stdtrit(n - 1, 0.5 + level / 2) * diff.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half


def _verdict(model: str, best: str, low: float, high: float, diff: float) -> str:
    if model == best:
        return "best NDCG in this test"
    if high < 0:
        return f"worse than {best}: the gap is larger than the test's noise"
    if low > 0:  # cannot happen against the best by mean, kept for completeness
        return f"better than {best}"
    return f"cannot be told apart from {best} on this test (the gap {diff:+.4f} is within the noise)"


def compare_to_best(per_customer: Mapping[tuple[str, str], pd.Series], level: float = 0.95) -> pd.DataFrame:
    """One row per (mode, model): its mean NDCG, the best model of the mode, the paired difference to it with a
    `level` interval, and a plain-language verdict. `per_customer` maps (model, mode) to NDCG per test customer
    (index: customer id), as `evaluate_models(..., per_customer=...)` fills it."""
    rows = []
    for mode in dict.fromkeys(m for _, m in per_customer):
        models = {name: s for (name, m), s in per_customer.items() if m == mode}
        means = {name: float(s.mean()) if len(s) else 0.0 for name, s in models.items()}
        best = best_name(means)  # the evaluation table's one rule: highest NDCG, a tie to the first name
        for name, series in models.items():
            paired = pd.concat([series, models[best]], axis=1, join="inner").to_numpy(dtype=np.float64)
            diff, low, high = paired_interval(paired[:, 0] - paired[:, 1], level)
            rows.append({"mode": mode, "model": name, "ndcg": means[name], "best": best, "gap_to_best": diff,
                         "ci_low": low, "ci_high": high, "customers": int(len(paired)),
                         "verdict": _verdict(name, best, low, high, diff)})
    out = pd.DataFrame(rows, columns=COMPARE_COLUMNS)
    order = {mode: i for i, mode in enumerate(dict.fromkeys(m for _, m in per_customer))}
    out = out.assign(_mode=out["mode"].map(order)).sort_values(["_mode", "ndcg", "model"], ascending=[True, False, True],
                                                               kind="stable")
    return out.drop(columns="_mode").reset_index(drop=True)
