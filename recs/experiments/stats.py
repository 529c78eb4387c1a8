"""A/B statistics, vectorised: every function works on numbers or on numpy arrays of experiments.

The CLI and the page call these on one experiment; the simulation tests call the very same functions on
thousands of simulated experiments at once (arrays along the leading axes, customers along the last).
Formulas, assumptions and when to trust each result: docs/experiments.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

import numpy as np
from scipy import special  # scipy.special, not scipy.stats: the same functions, a third of the import time


@dataclass(frozen=True)
class Summary:
    """Per-arm summary of a per-customer metric: count (non-NaN), mean and sample variance (ddof=1)."""

    n: np.ndarray
    mean: np.ndarray
    var: np.ndarray


def summarize(values, axis: int = -1) -> Summary:
    """Count, mean and sample variance along `axis`, ignoring NaN (NaN = customer not in the denominator)."""
    arr = np.asarray(values, dtype=float)
    n = np.sum(~np.isnan(arr), axis=axis).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.nansum(arr, axis=axis)
        mean = np.where(n > 0, total / np.where(n > 0, n, 1), np.nan)
        dev = np.where(np.isnan(arr), 0.0, arr - np.expand_dims(mean, axis))
        var = np.where(n > 1, np.sum(dev * dev, axis=axis) / np.where(n > 1, n - 1, 1), np.nan)
    return Summary(n=n, mean=mean, var=var)


def _crit_normal(alpha: float) -> float:
    return float(special.ndtri(1 - alpha / 2))


def welch(t: Summary, c: Summary, alpha: float = 0.05) -> dict[str, np.ndarray]:
    """Welch's t-test and interval for the difference of means (treatment minus control).

    se = sqrt(s_t²/n_t + s_c²/n_c); Welch–Satterthwaite degrees of freedom; two-sided p-value.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        a, b = t.var / t.n, c.var / c.n
        se = np.sqrt(a + b)
        diff = t.mean - c.mean
        df = (a + b) ** 2 / (a * a / (t.n - 1) + b * b / (c.n - 1))
        stat = diff / se
        p = 2 * special.stdtr(df, -np.abs(stat))
        q = special.stdtrit(df, 1 - alpha / 2)
        p = np.where(se == 0, np.where(diff == 0, 1.0, 0.0), p)
        q = np.where(se == 0, 0.0, q)
    return {"lift": diff, "se": se, "ci_low": diff - q * se, "ci_high": diff + q * se, "p_value": p, "df": df}


def two_proportions(t: Summary, c: Summary, alpha: float = 0.05) -> dict[str, np.ndarray]:
    """Two-proportion z-test (pooled under H0) with a Wald interval (unpooled) for the difference of shares."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p0 = t.mean, c.mean
        diff = p1 - p0
        pooled = (p1 * t.n + p0 * c.n) / (t.n + c.n)
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / t.n + 1 / c.n))
        z = diff / se0
        p = 2 * special.ndtr(-np.abs(z))
        p = np.where(se0 == 0, np.where(diff == 0, 1.0, 0.0), p)
        se = np.sqrt(p1 * (1 - p1) / t.n + p0 * (1 - p0) / c.n)
    q = _crit_normal(alpha)
    return {"lift": diff, "se": se, "ci_low": diff - q * se, "ci_high": diff + q * se, "p_value": p}


def relative_lift(t: Summary, c: Summary, alpha: float = 0.05, share: bool = False) -> dict[str, np.ndarray]:
    """Relative lift mean_t/mean_c - 1 with a delta-method interval.

    Var(m_t/m_c) ≈ s_t²/(n_t m_c²) + m_t² s_c²/(n_c m_c⁴) (arms independent). For shares s² = p(1-p).
    NaN when the control mean is 0.
    """
    vt = t.mean * (1 - t.mean) if share else t.var
    vc = c.mean * (1 - c.mean) if share else c.var
    with np.errstate(invalid="ignore", divide="ignore"):
        m0 = np.where(c.mean == 0, np.nan, c.mean)
        rel = t.mean / m0 - 1
        se = np.sqrt(vt / (t.n * m0**2) + t.mean**2 * vc / (c.n * m0**4))
    q = _crit_normal(alpha)
    return {"lift_rel": rel, "rel_se": se, "rel_low": rel - q * se, "rel_high": rel + q * se}


def compare(t_values, c_values, share: bool = False, alpha: float = 0.05) -> dict[str, np.ndarray]:
    """Treatment versus control on per-customer values (NaN = not in the denominator), along the last axis.

    Means use Welch; shares (0/1 values) use the two-proportion z-test. Adds the delta-method relative lift
    and each arm's count and mean.
    """
    t, c = summarize(t_values), summarize(c_values)
    out = two_proportions(t, c, alpha) if share else welch(t, c, alpha)
    out.update(relative_lift(t, c, alpha, share=share))
    out.update({"n_t": t.n, "n_c": c.n, "mean_t": t.mean, "mean_c": c.mean})
    return out


def holm(p_values) -> np.ndarray:
    """Holm–Bonferroni step-down adjusted p-values (NaN entries are ignored and stay NaN)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    idx = np.flatnonzero(~np.isnan(p))
    m = len(idx)
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adjusted, 1.0)
    return out


def cuped_theta(ys: list, xs: list) -> np.ndarray:
    """CUPED's theta = Cov(Y, X) / Var(X), pooled over all arms (last axis = customers). 0 when Var(X) = 0."""
    y = np.concatenate([np.asarray(v, dtype=float) for v in ys], axis=-1)
    x = np.concatenate([np.asarray(v, dtype=float) for v in xs], axis=-1)
    xm = x.mean(axis=-1, keepdims=True)
    ym = y.mean(axis=-1, keepdims=True)
    cov = ((x - xm) * (y - ym)).mean(axis=-1)
    var = ((x - xm) ** 2).mean(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, cov / np.where(var > 0, var, 1), 0.0)


def cuped_adjust(ys: list, xs: list) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """CUPED (Deng et al. 2013): Y' = Y - theta (X - mean X), theta and mean X pooled over arms.

    Returns the adjusted arrays (same order), theta and the variance reduction 1 - Var(Y')/Var(Y)
    (pooled over arms). Adjusted means stay on Y's scale; the lift's expectation is unchanged because
    X is measured before assignment.
    """
    theta = cuped_theta(ys, xs)
    x_all = np.concatenate([np.asarray(v, dtype=float) for v in xs], axis=-1)
    xm = x_all.mean(axis=-1, keepdims=True)
    th = np.expand_dims(theta, -1)
    adjusted = [np.asarray(y, dtype=float) - th * (np.asarray(x, dtype=float) - xm) for y, x in zip(ys, xs, strict=True)]
    y_all = np.concatenate([np.asarray(v, dtype=float) for v in ys], axis=-1)
    a_all = np.concatenate(adjusted, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        reduction = 1 - a_all.var(axis=-1) / y_all.var(axis=-1)
    return adjusted, theta, reduction


def srm(counts, planned=None) -> dict[str, np.ndarray]:
    """Sample-ratio-mismatch chi-square goodness-of-fit test of arm counts (last axis) against planned shares."""
    obs = np.asarray(counts, dtype=float)
    k = obs.shape[-1]
    shares = np.full(k, 1.0 / k) if planned is None else np.asarray(planned, dtype=float)
    shares = shares / shares.sum()
    expected = obs.sum(axis=-1, keepdims=True) * shares
    with np.errstate(invalid="ignore", divide="ignore"):
        chi2 = np.sum((obs - expected) ** 2 / expected, axis=-1)
    return {"chi2": chi2, "df": k - 1, "p_value": special.chdtrc(k - 1, chi2)}


def _z(alpha: float, power: float) -> float:
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must lie strictly between 0 and 1")
    return float(special.ndtri(1 - alpha / 2) + special.ndtri(power))


def mde(*, baseline_rate: float | None = None, mean: float | None = None, sd: float | None = None,
        n_per_arm: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest absolute lift a two-sided test at `alpha` detects with `power`, equal arms of `n_per_arm`.

    Means: (z_{1-α/2} + z_power) · sd · sqrt(2/n). Proportions: solves
    δ = (z_{1-α/2} + z_power) · sqrt((p(1-p) + (p+δ)(1-p-δ)) / n) (normal approximation). `mean` is only
    informative (the lift is absolute); pass `baseline_rate` for a share, `sd` for a mean.
    """
    if n_per_arm <= 1:
        raise ValueError("n_per_arm must be at least 2")
    z = _z(alpha, power)
    if baseline_rate is not None:
        p = float(baseline_rate)
        if not 0 < p < 1:
            raise ValueError("baseline_rate must lie strictly between 0 and 1")
        delta = z * np.sqrt(2 * p * (1 - p) / n_per_arm)
        for _ in range(50):
            p1 = min(p + delta, 1 - 1e-12)
            delta = z * np.sqrt((p * (1 - p) + p1 * (1 - p1)) / n_per_arm)
        return float(delta)
    if sd is None or sd <= 0:
        raise ValueError("give baseline_rate for a share, or a positive sd for a mean")
    return float(z * sd * np.sqrt(2 / n_per_arm))


def sample_size(*, baseline_rate: float | None = None, sd: float | None = None, lift: float,
                alpha: float = 0.05, power: float = 0.8) -> int:
    """Customers per arm needed to detect an absolute `lift` (normal approximation, two-sided, equal arms).

    Means: n = 2 (z_{1-α/2} + z_power)² sd² / lift². Proportions: n = (z…)² (p(1-p) + p'(1-p')) / lift²,
    p' = p + lift.
    """
    if lift == 0:
        raise ValueError("lift must be non-zero")
    z = _z(alpha, power)
    if baseline_rate is not None:
        p = float(baseline_rate)
        p1 = p + lift
        if not 0 < p < 1 or not 0 < p1 < 1:
            raise ValueError("baseline_rate and baseline_rate + lift must lie strictly between 0 and 1")
        return int(ceil(z * z * (p * (1 - p) + p1 * (1 - p1)) / lift**2))
    if sd is None or sd <= 0:
        raise ValueError("give baseline_rate for a share, or a positive sd for a mean")
    return int(ceil(2 * z * z * sd * sd / lift**2))
