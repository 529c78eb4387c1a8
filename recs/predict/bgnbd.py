"""BG/NBD (how many orders) and Gamma-Gamma (what an order is worth), fitted by maximum likelihood with SciPy.

The closed forms are those of Fader, Hardie and Lee, "Counting Your Customers the Easy Way" (2005) and "RFM and
CLV: Using Iso-Value Curves" (2005), as `lifetimes` and pymc-marketing implement them; docs/predict.md says why we
fit them here instead of depending on either. Inputs per customer: `x` repeat purchases (purchase days - 1),
`t_x` the time of the last purchase and `T` the age, both since the first purchase, in any one time unit.

When maximum likelihood does not converge (a shop where the optimum runs off to a = b = 0 or to infinity) the fit
is repeated with a small L2 penalty on the log parameters and `note_` says so: a fit never raises.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special

from recs.predict.base import Predictor

BGNBD_START = np.log([0.5, 5.0, 0.8, 2.5])  # r, alpha, a, b
PENALTY = 0.05  # per customer-free unit: the L2 weight on log parameters of the regularised fit
LOG_BOUND = 9.0  # |log parameter| beyond this (1e-4 .. 8e3) counts as not converged
MIN_DROPOUT = 1e-3  # a mean drop-out chance per purchase a / (a + b) under this: the fit ran off to "nobody leaves"


def bgnbd_loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                 modified: bool = False) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood for params (r, alpha, a, b); `modified`: the MBG/NBD form."""
    r, alpha, a, b = params
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    shift = 1.0 if modified else 0.0
    a2 = (special.gammaln(a + b) + special.gammaln(b + x + shift) - special.gammaln(b)
          - special.gammaln(a + b + x + shift))
    a3 = -(r + x) * np.log(alpha + T)
    if modified:  # a customer may also drop out right after the first purchase
        a4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + t_x)
        return a1 + a2 + np.logaddexp(a3, a4)
    repeat = x > 0
    a4 = np.full_like(a3, -np.inf)
    a4[repeat] = (np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat]))
    return a1 + a2 + np.logaddexp(a3, a4)


def bgnbd_gradient(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                   modified: bool = False) -> np.ndarray:
    """Mean gradient of `bgnbd_loglik` with respect to the log parameters (so the fit needs no finite
    differences: five times fewer likelihood evaluations)."""
    r, alpha, a, b = params
    shift = 1.0 if modified else 0.0
    a3 = -(r + x) * np.log(alpha + T)
    if modified:
        a4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + t_x)
    else:
        a4 = np.full_like(a3, -np.inf)
        repeat = x > 0
        a4[repeat] = np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    w = np.exp(a4 - np.logaddexp(a3, a4))  # the weight of the "dropped out after the last purchase" term
    d_r = special.digamma(r + x) - special.digamma(r) + np.log(alpha) - (1 - w) * np.log(alpha + T) \
        - w * np.log(alpha + t_x)
    d_alpha = r / alpha - (1 - w) * (r + x) / (alpha + T) - w * (r + x) / (alpha + t_x)
    common = special.digamma(a + b) - special.digamma(a + b + x + shift)
    d_a = common + w / a
    d_b = common + special.digamma(b + x + shift) - special.digamma(b) - w / np.maximum(b + x - 1 + shift, 1e-300)
    return np.array([r * d_r.mean(), alpha * d_alpha.mean(), a * d_a.mean(), b * d_b.mean()])


def _fit_bgnbd(x, t_x, T, penalty: float, modified: bool) -> optimize.OptimizeResult:
    n = len(x)

    def objective(log_params):
        params = np.exp(log_params)
        value = -bgnbd_loglik(params, x, t_x, T, modified).sum() / n + penalty * np.sum(log_params ** 2)
        if not np.isfinite(value):
            return 1e300, np.zeros(4)
        gradient = -bgnbd_gradient(params, x, t_x, T, modified) + 2 * penalty * log_params
        return value, np.nan_to_num(gradient)

    return optimize.minimize(objective, BGNBD_START, jac=True, method="L-BFGS-B",
                             bounds=[(-LOG_BOUND, LOG_BOUND)] * 4, options={"maxiter": 500, "ftol": 1e-13,
                                                                            "gtol": 1e-9})


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, modified: bool = False
              ) -> tuple[np.ndarray, str | None]:
    """(r, alpha, a, b) by maximum likelihood, or regularised with a note when ML does not converge."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    result = _fit_bgnbd(x, t_x, T, 0.0, modified)
    r, alpha, a, b = np.exp(result.x)
    if result.success and np.all(np.abs(result.x) < LOG_BOUND - 0.01) and a / (a + b) > MIN_DROPOUT:
        return np.exp(result.x), None
    result = _fit_bgnbd(x, t_x, T, PENALTY, modified)
    note = ("maximum likelihood did not converge on this shop (the best fit runs off to \"nobody ever leaves\" or "
            f"to extreme parameters), so the BG/NBD fit is regularised (L2 penalty {PENALTY} on the log parameters)")
    return np.exp(np.clip(result.x, -LOG_BOUND, LOG_BOUND)), note


def _alive_odds(params, x, t_x, T, modified: bool) -> np.ndarray:
    """a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) for repeat customers, 0 otherwise (BG/NBD);
    a / (b + x) * ... for everyone (MBG/NBD)."""
    r, alpha, a, b = params
    if modified:
        return np.exp(np.minimum(np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)),
                                 700.0))
    odds = np.zeros_like(T, dtype=float)
    repeat = x > 0
    log_odds = (np.log(a) - np.log(b + x[repeat] - 1)
                + (r + x[repeat]) * (np.log(alpha + T[repeat]) - np.log(alpha + t_x[repeat])))
    odds[repeat] = np.exp(np.minimum(log_odds, 700.0))
    return odds


def p_alive(params, x, t_x, T, modified: bool = False) -> np.ndarray:
    """Probability that each customer has not dropped out by T."""
    return 1.0 / (1.0 + _alive_odds(params, x, t_x, T, modified))


def expected_purchases(params, x, t_x, T, t: float, modified: bool = False) -> np.ndarray:
    """Expected purchases in (T, T + t] given each customer's history (the conditional expectation)."""
    r, alpha, a, b = params
    z = t / (alpha + T + t)
    shift = 1.0 if modified else 0.0
    with np.errstate(all="ignore"):
        hyp = special.hyp2f1(r + x, b + x + shift, a + b + x - 1 + shift, z)
        head = (a + b + x - 1 + shift) / (a - 1) if abs(a - 1) > 1e-6 else np.full_like(x, np.nan)
        body = head * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    alive = p_alive(params, x, t_x, T, modified)
    value = body * alive
    # where the hypergeometric series is unstable (a near 1, extreme histories) bound it by "alive all along":
    # the posterior purchase rate times t
    bound = alive * (r + x) / (alpha + T) * t
    bad = ~np.isfinite(value) | (value < 0) | (value > bound * 1.0001)
    return np.where(bad, bound, value)


def p_order_within(params, x, t_x, T, t: float, modified: bool = False) -> np.ndarray:
    """Probability of at least one purchase in (T, T + t]: alive, and the Poisson clock ticks at least once
    (nobody drops out between purchases; the rate's posterior given alive is Gamma(r + x, alpha + T))."""
    r, alpha, _, _ = params
    silent = ((alpha + T) / (alpha + T + t)) ** (r + x)
    return p_alive(params, x, t_x, T, modified) * (1.0 - silent)


def median_wait(params, x, T) -> np.ndarray:
    """Median time to the next purchase of a customer who is still alive: ((alpha+T)/(alpha+T+w))^(r+x) = 1/2."""
    r, alpha, _, _ = params
    return (alpha + T) * (np.power(2.0, 1.0 / (r + x)) - 1.0)


def gamma_gamma_loglik(params, x, m) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean spend `m` over `x` repeat purchases, params (p, q, v)."""
    p, q, v = params
    px = p * x
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(v)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(x * m + v))


def fit_gamma_gamma(x: np.ndarray, m: np.ndarray) -> tuple[np.ndarray | None, str | None]:
    """(p, q, v) from repeat customers' mean spend, q > 1 so the mean exists; None with a note when it cannot fit."""
    keep = (np.asarray(x) > 0) & (np.asarray(m) > 0)
    x, m = np.asarray(x, float)[keep], np.asarray(m, float)[keep]
    if len(x) < 10:
        return None, "too few repeat customers to fit the Gamma-Gamma spend model: average order values are used"
    scale = float(np.median(m))

    def objective(log_params):
        p, q, v = np.exp(log_params)
        value = -gamma_gamma_loglik((p, 1.0 + q, v), x, m / scale).mean()
        return value if np.isfinite(value) else 1e300

    result = optimize.minimize(objective, np.log([2.0, 2.0, 2.0]), method="L-BFGS-B",
                               bounds=[(-LOG_BOUND, LOG_BOUND)] * 3, options={"maxiter": 500, "ftol": 1e-12})
    p, q, v = np.exp(result.x)
    if not np.all(np.isfinite([p, q, v])):
        return None, "the Gamma-Gamma spend model did not fit: average order values are used"
    return np.array([p, 1.0 + q, v * scale]), None


def expected_spend(params, x, m, fallback: float) -> np.ndarray:
    """Expected value of a future purchase: the Gamma-Gamma posterior mean, or shrunk averages without a fit."""
    x, m = np.asarray(x, float), np.asarray(m, float)
    if params is None:
        return np.where(x > 0, (x * m + fallback) / (x + 1), fallback)
    p, q, v = params
    mean = p * (v + x * m) / (p * x + q - 1)
    return np.where(x > 0, mean, p * v / (q - 1))


DISCOUNT_RATE = 0.10  # annual rate at which clv_12m discounts future revenue
MONTH_DAYS = 365.25 / 12


class BGNBD(Predictor):
    """BG/NBD for the number of purchases plus Gamma-Gamma for their value, fitted in weeks.

    `modified=True` (the default) fits the MBG/NBD form (Batislam et al. 2007), in which a one-time buyer may have
    dropped out too; the plain BG/NBD (`modified=False`, the paper's) calls every one-time buyer certainly alive,
    which would put a customer who bought once years ago in the lowest churn band.
    """

    name = "bgnbd"

    def __init__(self, modified: bool = True) -> None:
        self.modified = modified

    def _fit(self, shop, cutoff, horizon_days):
        history = shop.history(cutoff)
        x, t_x, T = (history[c].to_numpy(float) for c in ("x", "t_x", "T"))
        self.params_, self.note_ = fit_bgnbd(x, t_x, T, self.modified)
        monetary = history["monetary"].to_numpy(float)
        self.spend_params_, self.spend_note_ = fit_gamma_gamma(x, monetary)
        days = history["purchase_days"].to_numpy(float)
        self.mean_spend_ = float(history["revenue"].sum() / max(days.sum(), 1.0))
        self.details_ = None  # computed on first use: every model of a forecast reads the same figures

    def _predict(self):
        return self.details()

    def details(self) -> pd.DataFrame:
        """Per customer: p_alive, expected_orders and p_order_in_horizon over H, expected_spend (value of a
        purchase day), clv_12m (discounted), wait_days (median days to the next purchase if still a customer)."""
        if getattr(self, "details_", None) is None:
            self.details_ = self._details()
        return self.details_.copy()

    def _details(self) -> pd.DataFrame:
        history = self.shop_.history(self.cutoff_)
        x, t_x, T = (history[c].to_numpy(float) for c in ("x", "t_x", "T"))
        weeks = self.horizon_days_ / 7.0
        args = (self.params_, x, t_x, T)
        spend = expected_spend(self.spend_params_, x, history["monetary"].to_numpy(float), self.mean_spend_)
        spend = np.nan_to_num(np.maximum(spend, 0.0))
        value = np.zeros(len(x))
        previous = np.zeros(len(x))
        for month in range(1, 13):
            cumulative = expected_purchases(*args, month * MONTH_DAYS / 7.0, self.modified)
            value += (cumulative - previous) * spend / (1 + DISCOUNT_RATE) ** (month / 12)
            previous = cumulative
        return pd.DataFrame({
            "p_alive": p_alive(*args, self.modified),
            "expected_orders": expected_purchases(*args, weeks, self.modified),
            "p_order_in_horizon": p_order_within(*args, weeks, self.modified),
            "expected_spend": spend,
            "clv_12m": np.maximum(np.nan_to_num(value), 0.0),
            "wait_days": median_wait(self.params_, x, T) * 7.0,
        })
