"""The shape of a product's repurchase cycle, and the reminder advice it supports.

Most products have one typical gap between a customer's purchases (coffee: about a month), and a reminder around
the median gap reaches people when they are ready. Some have two: a seasonal product is re-bought by a few within
weeks (a second gift) and by most a year later (Panettone: gaps of 0-50 and 320-420 days, median in neither). There
"around the median" is when almost nobody buys, so the advice names both groups.

Two humps are found by the best split of the gaps into two groups (Otsu's method on the sorted gaps: the split
that maximises the between-group variance) and accepted only when the split explains most of the spread
(between-group variance >= 80 % of the total: a uniform spread gives 75 %, one hump less), each group holds at least
10 % of the repeat purchases, the later group's median is at least three times the earlier one's, and there are at
least 20 gaps. Docs: docs/metrics.md ("Repurchase cycle on the Product page").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_GAPS = 20
MIN_SEPARATION = 0.8   # between-group variance / total variance
MIN_GROUP_SHARE = 0.10
MIN_MEDIAN_RATIO = 3.0


@dataclass(frozen=True)
class CycleShape:
    """One or two humps of repurchase gaps (days). With two, `split_days` separates them and `early_*` / `late_*`
    describe each group; `advice` is the sentence for people."""

    humps: int
    median_days: float | None
    advice: str
    split_days: float | None = None
    early_share: float | None = None
    early_median: float | None = None
    late_median: float | None = None


def about(days: float) -> str:
    """A duration for people: 5 -> '~5 days', 20 -> '~3 weeks', 75 -> '~2 months', 366 -> '~a year'."""
    if round(days) < 14:
        return f"~{max(round(days), 1)} day{'s' if round(days) > 1 else ''}"
    if days < 60:
        return f"~{round(days / 7)} weeks"
    if days < 320:
        return f"~{round(days / 30.44)} months"
    if days < 550:
        return "~a year"
    return f"~{days / 365.25:.1f} years"


def _share_word(share: float) -> str:
    return "some" if share < 0.4 else "most" if share > 0.6 else "about half"


def best_split(gaps: np.ndarray) -> tuple[float, int, float]:
    """Otsu's split of sorted `gaps` (at least 2 values): (between-group / total variance, size of the early group,
    the early group's largest gap)."""
    values = np.sort(np.asarray(gaps, dtype=float))
    n, total = len(values), float(values.var())
    if n < 2 or total <= 0:
        return 0.0, n, float(values[-1]) if n else 0.0
    sums = np.cumsum(values)[:-1]
    k = np.arange(1, n)
    w_early = k / n
    between = w_early * (1 - w_early) * (sums / k - (sums[-1] + values[-1] - sums) / (n - k)) ** 2
    best = int(np.argmax(between))
    return float(between[best] / total), best + 1, float(values[best])


def cycle_shape(gaps) -> CycleShape:
    """The repurchase cycle of these gaps (days between a customer's consecutive purchase days of one product)."""
    values = np.sort(np.asarray(gaps, dtype=float))
    values = values[np.isfinite(values)]
    if not len(values):
        return CycleShape(0, None, "Nobody has bought this product on two different days yet.")
    median = float(np.median(values))
    if len(values) >= MIN_GAPS:
        separation, early_n, split = best_split(values)
        early, late = values[:early_n], values[early_n:]
        share = early_n / len(values)
        if (separation >= MIN_SEPARATION and min(share, 1 - share) >= MIN_GROUP_SHARE
                and float(np.median(late)) >= MIN_MEDIAN_RATIO * max(float(np.median(early)), 1.0)):
            e_med, l_med = float(np.median(early)), float(np.median(late))
            missed = "later" if median <= split else "early"
            advice = (f"Two groups re-buy it: {_share_word(share)} within {about(e_med)} ({share:.0%} of repeat "
                      f"purchases, median {e_med:.0f} days), {_share_word(1 - share)} after {about(l_med)} "
                      f"({1 - share:.0%}, median {l_med:.0f} days). Time a reminder for each group: one reminder at "
                      f"the overall median ({median:.0f} days) misses the {missed} group.")
            return CycleShape(2, median, advice, split, share, e_med, l_med)
    advice = (f"Half of the {len(values):,} repeat purchases came within {median:.0f} days of the same customer's "
              f"previous one: a reminder after {about(median).replace('~', 'about ')} reaches people when they are ready "
              "to buy again.")
    return CycleShape(1, median, advice)
