"""The statistics proven by simulation: thousands of seeded experiments through the same functions the CLI uses.

Customers follow a Gamma–Poisson model: propensity λ ~ Gamma(k, s); orders before assignment ~ Poisson(PRE·λ)
(returning = at least one), window orders ~ Poisson(m·λ) with m = 1 for control and 1 + effect for treatment;
each customer's order value ~ LogNormal(μ, σ). Every true value has a closed form (Gamma's Laplace transform).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from recs.experiments import stats
from recs.experiments.analyze import METRICS

S = 4000          # simulated experiments per scenario
N = 1000          # customers per arm
K, SCALE, PRE = 0.5, 0.6, 12.0
MU, SIGMA = 3.5, 0.7
LIFT = 1.4         # treatment multiplies the window order rate by this


def _laplace(t: float) -> float:
    return (1 + t * SCALE) ** (-K)


def true_values(m: float) -> dict[str, float]:
    """Expected per-customer metric values for window multiplier m (closed forms)."""
    order_value = np.exp(MU + SIGMA**2 / 2)
    returning = 1 - _laplace(PRE)
    return {
        "conversion": 1 - _laplace(m),
        "orders_per_customer": m * K * SCALE,
        "revenue_per_customer": m * K * SCALE * order_value,
        "repeat_rate": (1 - _laplace(m) - _laplace(PRE) + _laplace(PRE + m)) / returning,
        "revenue_per_customer_cuped": m * K * SCALE * order_value,
    }


def simulate_arm(rng: np.random.Generator, m: float, n: int = N) -> dict[str, np.ndarray]:
    lam = rng.gamma(K, SCALE, (S, n))
    pre_orders = rng.poisson(PRE * lam)
    pre_revenue = pre_orders * rng.lognormal(MU, SIGMA, (S, n))
    orders = rng.poisson(m * lam)
    revenue = orders * rng.lognormal(MU, SIGMA, (S, n))
    conversion = (orders > 0).astype(float)
    return {
        "conversion": conversion,
        "orders_per_customer": orders.astype(float),
        "revenue_per_customer": revenue,
        "repeat_rate": np.where(pre_orders > 0, conversion, np.nan),
        "pre_revenue": pre_revenue,
    }


def run_all(t: dict, c: dict) -> dict[str, dict]:
    """Every metric's comparison for S experiments, exactly as the analysis does it."""
    out = {m: stats.compare(t[m], c[m], share=METRICS[m]) for m in METRICS if m != "revenue_per_customer_cuped"}
    (yt, yc), theta, reduction = stats.cuped_adjust([t["revenue_per_customer"], c["revenue_per_customer"]],
                                                    [t["pre_revenue"], c["pre_revenue"]])
    out["revenue_per_customer_cuped"] = stats.compare(yt, yc)
    out["revenue_per_customer_cuped"]["reduction"] = reduction
    return out


def tolerance(p: float, n: int, sds: float = 4.0) -> float:
    return sds * np.sqrt(p * (1 - p) / n)


@pytest.fixture(scope="module")
def aa() -> dict[str, dict]:
    rng = np.random.default_rng(20240601)
    return run_all(simulate_arm(rng, 1.0), simulate_arm(rng, 1.0, n=N + 150))  # unequal arms on purpose


@pytest.fixture(scope="module")
def ab() -> dict[str, dict]:
    rng = np.random.default_rng(20240602)
    return run_all(simulate_arm(rng, LIFT), simulate_arm(rng, 1.0))


@pytest.mark.parametrize("metric", list(METRICS))
def test_aa_false_positive_rate_is_five_percent(aa, metric):
    p = aa[metric]["p_value"]
    assert not np.isnan(p).any()
    rate = float((p < 0.05).mean())
    assert abs(rate - 0.05) < tolerance(0.05, S), f"{metric}: {rate:.4f} of A/A tests significant"
    # p-values of a correct test are uniform: the lower half holds half of them
    assert abs(float((p < 0.5).mean()) - 0.5) < tolerance(0.5, S)


@pytest.mark.parametrize("metric", list(METRICS))
def test_ab_interval_covers_true_lift(ab, metric):
    truth = true_values(LIFT)[metric] - true_values(1.0)[metric]
    res = ab[metric]
    covered = float(((res["ci_low"] <= truth) & (truth <= res["ci_high"])).mean())
    assert abs(covered - 0.95) < tolerance(0.95, S), f"{metric}: coverage {covered:.4f}"
    # the estimate itself is unbiased
    assert abs(res["lift"].mean() - truth) < 4 * res["lift"].std() / np.sqrt(S)
    # and the effect is large enough to be detected most of the time
    assert (res["p_value"] < 0.05).mean() > 0.5


@pytest.mark.parametrize("metric", ["orders_per_customer", "revenue_per_customer", "conversion", "repeat_rate"])
def test_ab_relative_interval_covers_true_relative_lift(ab, metric):
    truth = true_values(LIFT)[metric] / true_values(1.0)[metric] - 1
    res = ab[metric]
    covered = float(((res["rel_low"] <= truth) & (truth <= res["rel_high"])).mean())
    assert abs(covered - 0.95) < tolerance(0.95, S), f"{metric}: relative coverage {covered:.4f}"


def test_cuped_narrows_interval_and_does_not_bias(ab):
    raw, cup = ab["revenue_per_customer"], ab["revenue_per_customer_cuped"]
    width_raw = raw["ci_high"] - raw["ci_low"]
    width_cup = cup["ci_high"] - cup["ci_low"]
    assert np.median(width_cup / width_raw) < 0.95
    assert (width_cup < width_raw).mean() > 0.95
    assert cup["reduction"].mean() > 0.1
    truth = true_values(LIFT)["revenue_per_customer"] - true_values(1.0)["revenue_per_customer"]
    assert abs(cup["lift"].mean() - truth) < 4 * cup["lift"].std() / np.sqrt(S)
    # same experiments, same target: CUPED moves each estimate only by noise the pre-period explains
    assert abs(np.mean(cup["lift"] - raw["lift"])) < 4 * np.std(cup["lift"] - raw["lift"]) / np.sqrt(S)


def test_cuped_with_useless_covariate_changes_nothing_much():
    rng = np.random.default_rng(5)
    y_t, y_c = rng.normal(10, 3, (S, 300)), rng.normal(10, 3, (S, 300))
    x_t, x_c = rng.normal(0, 1, (S, 300)), rng.normal(0, 1, (S, 300))
    (a_t, a_c), theta, reduction = stats.cuped_adjust([y_t, y_c], [x_t, x_c])
    res = stats.compare(a_t, a_c)
    assert abs(float((res["p_value"] < 0.05).mean()) - 0.05) < tolerance(0.05, S)
    assert abs(reduction.mean()) < 0.01


def test_srm_flags_planted_52_48_split():
    res = stats.srm([10_400, 9_600])
    assert res["p_value"] < 1e-6
    assert res["p_value"] == pytest.approx(sps.chisquare([10_400, 9_600]).pvalue)


def test_srm_quiet_on_healthy_splits():
    rng = np.random.default_rng(11)
    n_sims = 20_000
    a = rng.binomial(20_000, 0.5, n_sims)
    p = stats.srm(np.column_stack([a, 20_000 - a]))["p_value"]
    assert float((p < 0.001).mean()) < 0.001 + tolerance(0.001, n_sims)
    assert abs(float((p < 0.05).mean()) - 0.05) < tolerance(0.05, n_sims)
    # a planned 10/90 holdout split is healthy against its plan, and an equal plan flags it
    counts = rng.multinomial(20_000, [0.1, 0.9], 2000)
    assert float((stats.srm(counts, [0.1, 0.9])["p_value"] < 0.001).mean()) < 0.01
    assert (stats.srm(counts)["p_value"] < 0.001).all()


def test_srm_flags_52_48_split_in_simulation():
    rng = np.random.default_rng(12)
    a = rng.binomial(20_000, 0.52, 2000)
    p = stats.srm(np.column_stack([a, 20_000 - a]))["p_value"]
    assert float((p < 0.001).mean()) > 0.98  # theory: Phi(5.66 - 3.29) = 0.991


def test_sample_size_gives_the_promised_power_for_shares():
    rng = np.random.default_rng(13)
    base, lift = 0.10, 0.02
    n = stats.sample_size(baseline_rate=base, lift=lift, alpha=0.05, power=0.8)
    sims = 20_000
    t = stats.Summary(n=np.full(sims, float(n)), mean=rng.binomial(n, base + lift, sims) / n, var=np.zeros(sims))
    c = stats.Summary(n=np.full(sims, float(n)), mean=rng.binomial(n, base, sims) / n, var=np.zeros(sims))
    power = float((stats.two_proportions(t, c)["p_value"] < 0.05).mean())
    assert abs(power - 0.8) < 0.02


def test_mde_for_means_gives_the_promised_power():
    rng = np.random.default_rng(14)
    n, sd = 400, 25.0
    delta = stats.mde(sd=sd, n_per_arm=n, alpha=0.05, power=0.8)
    res = stats.compare(rng.normal(50 + delta, sd, (S, n)), rng.normal(50, sd, (S, n)))
    power = float((res["p_value"] < 0.05).mean())
    assert abs(power - 0.8) < tolerance(0.8, S)


def test_holm_controls_familywise_error_with_three_arms():
    rng = np.random.default_rng(15)
    sims, n = 4000, 500
    control = rng.normal(0, 1, (sims, n))
    p = np.column_stack([stats.compare(rng.normal(0, 1, (sims, n)), control)["p_value"] for _ in range(3)])
    raw_fwer = float((p < 0.05).any(axis=1).mean())
    adjusted = np.vstack([stats.holm(row) for row in p])
    holm_fwer = float((adjusted < 0.05).any(axis=1).mean())
    assert raw_fwer > 0.09          # uncorrected: about 1 - 0.95**3 minus the shared control's correlation
    assert holm_fwer < 0.05 + tolerance(0.05, sims)
