"""Hand-computed small cases for each statistic, checked against scipy.stats directly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from recs.experiments import stats

T = np.array([3.0, 5.0, 7.0, 9.0, 11.0, 4.0])
C = np.array([2.0, 4.0, 4.0, 5.0, 3.0, 6.0, 1.0, 3.0])


def test_summarize_ignores_nan():
    s = stats.summarize([1.0, np.nan, 3.0, 5.0])
    assert (s.n, s.mean, s.var) == (3, 3.0, 4.0)


def test_welch_matches_scipy():
    res = stats.compare(T, C)
    ref = sps.ttest_ind(T, C, equal_var=False)
    assert res["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert res["lift"] == pytest.approx(T.mean() - C.mean())
    ci = ref.confidence_interval(0.95)
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    # by hand: s_t^2/n_t = 9.0667/6, s_c^2/n_c = 2.5536/8 -> se and Welch-Satterthwaite df
    a, b = T.var(ddof=1) / 6, C.var(ddof=1) / 8
    assert res["df"] == pytest.approx((a + b) ** 2 / (a * a / 5 + b * b / 7))
    assert res["se"] == pytest.approx(math.sqrt(a + b))


def test_welch_vectorised_rows_equal_single_calls():
    rng = np.random.default_rng(1)
    t, c = rng.normal(1, 2, (5, 30)), rng.normal(0, 1, (5, 40))
    res = stats.compare(t, c)
    for i in range(5):
        assert res["p_value"][i] == pytest.approx(sps.ttest_ind(t[i], c[i], equal_var=False).pvalue)


def test_two_proportions_by_hand_and_scipy():
    t = np.r_[np.ones(30), np.zeros(70)]
    c = np.r_[np.ones(20), np.zeros(80)]
    res = stats.compare(t, c, share=True)
    # pooled p = 0.25; se0 = sqrt(0.25 * 0.75 * (1/100 + 1/100)) = 0.0612372; z = 0.1 / se0 = 1.6329932
    assert res["p_value"] == pytest.approx(2 * sps.norm.sf(1.6329932), rel=1e-6)
    table = [[30, 70], [20, 80]]
    assert res["p_value"] == pytest.approx(sps.chi2_contingency(table, correction=False).pvalue, rel=1e-10)
    se = math.sqrt(0.3 * 0.7 / 100 + 0.2 * 0.8 / 100)
    assert res["ci_low"] == pytest.approx(0.1 - 1.959963985 * se)
    assert res["ci_high"] == pytest.approx(0.1 + 1.959963985 * se)
    assert res["lift_rel"] == pytest.approx(0.5)
    # delta method for shares: var = p_t(1-p_t)/(n_t p_c^2) + p_t^2 p_c(1-p_c)/(n_c p_c^4)
    rel_se = math.sqrt(0.21 / (100 * 0.04) + 0.09 * 0.16 / (100 * 0.0016))
    assert res["rel_se"] == pytest.approx(rel_se)


def test_relative_lift_delta_method_by_hand():
    t = stats.Summary(n=np.array(100.0), mean=np.array(1.2), var=np.array(1.0))
    c = stats.Summary(n=np.array(100.0), mean=np.array(1.0), var=np.array(1.0))
    res = stats.relative_lift(t, c)
    # 1/(100*1) + 1.44*1/(100*1) = 0.0244
    assert res["lift_rel"] == pytest.approx(0.2)
    assert res["rel_se"] == pytest.approx(math.sqrt(0.0244))
    assert res["rel_low"] == pytest.approx(0.2 - 1.959963985 * math.sqrt(0.0244))


def test_relative_lift_nan_when_control_is_zero():
    res = stats.compare(np.array([1.0, 0.0, 2.0]), np.zeros(3))
    assert np.isnan(res["lift_rel"])


def test_degenerate_zero_variance():
    res = stats.compare(np.zeros(20), np.zeros(20), share=True)
    assert res["p_value"] == 1.0 and res["lift"] == 0.0
    res = stats.compare(np.zeros(20), np.zeros(20))
    assert res["p_value"] == 1.0


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 -> 3*0.01 = 0.03, 2*0.03 = 0.06, max(1*0.04, 0.06) = 0.06
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # 2*0.5 = 1, then max(0.9, 1) = 1
    assert stats.holm([0.2, 0.01]) == pytest.approx([0.2, 0.02])
    out = stats.holm([0.02, np.nan, 0.04])
    assert out[0] == pytest.approx(0.04) and np.isnan(out[1]) and out[2] == pytest.approx(0.04)


def test_srm_matches_scipy_chisquare():
    res = stats.srm([480, 520])
    ref = sps.chisquare([480, 520])
    assert res["chi2"] == pytest.approx(ref.statistic) == pytest.approx(1.6)  # (20^2 + 20^2) / 500
    assert res["p_value"] == pytest.approx(ref.pvalue)
    res = stats.srm([100, 850, 50], [0.1, 0.85, 0.05])
    ref = sps.chisquare([100, 850, 50], f_exp=[100, 850, 50])
    assert res["chi2"] == pytest.approx(0.0) and res["p_value"] == pytest.approx(ref.pvalue)


def test_cuped_theta_by_hand():
    y = [np.array([1.0, 3.0]), np.array([2.0, 6.0])]
    x = [np.array([0.0, 1.0]), np.array([1.0, 2.0])]
    theta = stats.cuped_theta(y, x)
    xx, yy = np.r_[x[0], x[1]], np.r_[y[0], y[1]]
    assert theta == pytest.approx(np.cov(xx, yy, ddof=0)[0, 1] / np.var(xx))
    (a, b), th, red = stats.cuped_adjust(y, x)
    assert a == pytest.approx(y[0] - theta * (x[0] - 1.0))
    assert red == pytest.approx(1 - np.var(np.r_[a, b]) / np.var(yy))


def test_cuped_constant_covariate_leaves_y_alone():
    y = [np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0])]
    x = [np.zeros(3), np.zeros(2)]
    (a, b), theta, red = stats.cuped_adjust(y, x)
    assert theta == 0 and red == pytest.approx(0.0)
    assert a == pytest.approx(y[0]) and b == pytest.approx(y[1])


def test_mde_and_sample_size_by_hand():
    z = sps.norm.ppf(0.975) + sps.norm.ppf(0.8)  # 2.8016
    assert stats.mde(sd=10, n_per_arm=100) == pytest.approx(z * 10 * math.sqrt(2 / 100))
    assert stats.sample_size(sd=10, lift=3.962) == math.ceil(2 * z * z * 100 / 3.962**2)
    n = stats.sample_size(baseline_rate=0.1, lift=0.02)
    assert n == math.ceil(z * z * (0.09 + 0.12 * 0.88) / 0.0004)
    # round trip: the MDE at that n is the lift we asked for (up to the rounding of n)
    assert stats.mde(baseline_rate=0.1, n_per_arm=n) == pytest.approx(0.02, rel=1e-3)


@pytest.mark.parametrize("kwargs", [
    {"baseline_rate": 0.0, "n_per_arm": 100}, {"baseline_rate": 1.2, "n_per_arm": 100},
    {"sd": -1.0, "n_per_arm": 100}, {"n_per_arm": 100}, {"sd": 1.0, "n_per_arm": 1},
    {"sd": 1.0, "n_per_arm": 100, "alpha": 0.0}, {"sd": 1.0, "n_per_arm": 100, "power": 1.0},
])
def test_mde_refuses_bad_input(kwargs):
    with pytest.raises(ValueError):
        stats.mde(**kwargs)
