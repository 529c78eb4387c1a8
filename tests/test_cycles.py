"""Repurchase-cycle advice (recs.cycles) on hand-made gaps: one hump gets one reminder, two humps get two."""

from __future__ import annotations

import numpy as np
import pytest

from recs.cycles import about, cycle_shape


def test_panettone_two_humps_are_both_named():
    rng = np.random.default_rng(3)
    gaps = np.r_[rng.uniform(0, 50, 40), rng.uniform(320, 420, 120)]  # a second gift soon, most a year later
    shape = cycle_shape(gaps)
    assert shape.humps == 2
    assert 40 <= shape.split_days <= 50  # the early group's longest gap
    assert shape.early_share == pytest.approx(0.25)
    assert "some within ~" in shape.advice and "most after ~a year" in shape.advice
    assert "around 30 days" not in shape.advice and "misses the early group" in shape.advice


@pytest.mark.parametrize("gaps", [
    np.random.default_rng(1).exponential(30, 500),              # one hump, long tail
    np.random.default_rng(2).normal(30, 6, 300).clip(1),       # coffee: about a month
    np.random.default_rng(3).uniform(0, 400, 500),             # no valley anywhere
    np.r_[np.random.default_rng(4).normal(30, 5, 400), [365, 370, 380]],  # a few stragglers: under 10 %
    np.array([10.0, 12, 300, 320, 330]),                        # too few gaps to claim two groups
])
def test_one_hump_keeps_the_median_advice(gaps):
    shape = cycle_shape(gaps)
    assert shape.humps == 1 and shape.split_days is None
    assert f"within {np.median(gaps):.0f} days" in shape.advice


def test_no_gaps():
    shape = cycle_shape([])
    assert shape.humps == 0 and shape.median_days is None


@pytest.mark.parametrize(("days", "text"), [(1, "~1 day"), (5, "~5 days"), (20, "~3 weeks"), (75, "~2 months"),
                                            (366, "~a year"), (800, "~2.2 years")])
def test_about(days, text):
    assert about(days) == text
