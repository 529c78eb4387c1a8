"""The per-customer forecast (`python -m recs predict`, the Predict page, the Customer page, the audiences).

Columns (other tools read these exact names): customer_id, orders, p_alive, expected_orders, expected_revenue,
clv_12m, p_order_in_horizon, expected_next_order_at, churn_risk. `p_alive`, the value of a purchase and the
12-month shape of CLV come from the BG/NBD + Gamma-Gamma fit at the cutoff; `expected_orders` and
`p_order_in_horizon` from the chosen model, and CLV is scaled to agree with that model's horizon.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recs.errors import InputError
from recs.interactions import to_timestamp
from recs.predict.data import ShopData, check_history, check_horizon, default_cutoff
from recs.predict.learned import fitted_bgnbd
from recs.predict.registry import CHOICES, get_predictor

FORECAST_COLUMNS = ["customer_id", "orders", "p_alive", "expected_orders", "expected_revenue", "clv_12m",
                    "p_order_in_horizon", "expected_next_order_at", "churn_risk"]
HIGH_RISK_BELOW = 0.5  # p_alive under this: high churn risk
MEDIUM_RISK_BELOW = 0.8  # p_alive under this (and not high): medium; otherwise low
MAX_WAIT_DAYS = 3 * 365  # a next-order date further out than this is shown as this far out


@dataclass(frozen=True)
class Forecast:
    """A forecast and how it was made (for the page's notes and the CLI's stderr)."""

    frame: pd.DataFrame  # FORECAST_COLUMNS, one row per customer seen before the cutoff
    cutoff: pd.Timestamp
    horizon_days: int
    model: str  # the model asked for
    used: str  # the model that made expected_orders (best's choice)
    notes: tuple[str, ...] = field(default=())  # e.g. a regularised BG/NBD fit
    choice_scores: dict = field(default_factory=dict)  # best: each candidate's MAE on the window before
    fit_seconds: float = 0.0
    revenue_to_date: pd.Series | None = None  # each customer's revenue before the cutoff (frame order)
    history_days: int = 0  # days of orders before the cutoff


def churn_band(p_alive: np.ndarray) -> np.ndarray:
    """low / medium / high churn risk from p_alive (thresholds HIGH_RISK_BELOW, MEDIUM_RISK_BELOW)."""
    return np.where(p_alive < HIGH_RISK_BELOW, "high", np.where(p_alive < MEDIUM_RISK_BELOW, "medium", "low"))


def resolve_request(shop: ShopData, until, horizon_days, model: str, judged: bool = False,
                    history_factor: float = 2.0) -> tuple[pd.Timestamp, int]:
    """Check a request before any fitting: model name, horizon, cutoff and enough history (InputError)."""
    if model not in CHOICES:
        raise InputError(f"unknown model {model!r}; choose one of: {', '.join(CHOICES)}")
    horizon = check_horizon(horizon_days)
    cutoff = to_timestamp(until, "until")
    cutoff = default_cutoff(shop) if cutoff is None else cutoff
    check_history(shop, cutoff, horizon, judged=judged, history_factor=history_factor)
    return cutoff, horizon


def finish(shop: ShopData, cutoff: pd.Timestamp, horizon: int, predicted: pd.DataFrame) -> pd.DataFrame:
    """FORECAST_COLUMNS from a model's expected_orders / p_order_in_horizon and the BG/NBD fit at the cutoff."""
    history = shop.history(cutoff)
    bg = fitted_bgnbd(shop, cutoff, horizon).details()
    expected = predicted["expected_orders"].to_numpy(float)
    chance = predicted["p_order_in_horizon"].to_numpy(float)
    bg_expected = bg["expected_orders"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(bg_expected > 1e-9, expected / bg_expected, 1.0)
    clv = bg["clv_12m"].to_numpy(float) * np.clip(scale, 0.0, 10.0)
    hazard = -np.log1p(-np.clip(chance, 0.0, 1.0 - 1e-12)) / horizon  # constant hazard matching p over H
    with np.errstate(divide="ignore"):
        wait = np.where(hazard > 0, np.log(2.0) / hazard, MAX_WAIT_DAYS)
    wait = np.clip(np.nan_to_num(wait, nan=MAX_WAIT_DAYS), 0.0, MAX_WAIT_DAYS)
    next_at = cutoff.normalize() + pd.to_timedelta(np.round(wait), unit="D")
    p_alive = np.clip(bg["p_alive"].to_numpy(float), 0.0, 1.0)
    return pd.DataFrame({
        "customer_id": history["customer_id"].to_numpy(),
        "orders": history["orders"].to_numpy("int64"),
        "p_alive": p_alive.round(6),
        "expected_orders": np.maximum(expected, 0.0).round(6),
        "expected_revenue": np.maximum(expected * bg["expected_spend"].to_numpy(float), 0.0).round(4),
        "clv_12m": np.maximum(np.nan_to_num(clv), 0.0).round(4),
        "p_order_in_horizon": np.clip(chance, 0.0, 1.0).round(6),
        "expected_next_order_at": next_at.strftime("%Y-%m-%d"),
        "churn_risk": churn_band(p_alive),
    })


def forecast(con, until=None, horizon_days=90, model: str = "best", shop: ShopData | None = None) -> Forecast:
    """Fit `model` on orders strictly before `until` (default: all data) and predict every customer for H days."""
    shop = shop if shop is not None else ShopData(con)
    cutoff, horizon = resolve_request(shop, until, horizon_days, model)
    started = time.perf_counter()
    predictor = get_predictor(model).fit(shop, cutoff, horizon)
    frame = finish(shop, cutoff, horizon, predictor.predict())
    bg = fitted_bgnbd(shop, cutoff, horizon)
    notes = tuple(n for n in (bg.note_, bg.spend_note_) if n)
    return Forecast(frame=frame, cutoff=cutoff, horizon_days=horizon, model=model,
                    used=getattr(predictor, "choice_", model), notes=notes,
                    choice_scores=dict(getattr(predictor, "scores_", {})),
                    fit_seconds=time.perf_counter() - started,
                    revenue_to_date=shop.history(cutoff)["revenue"].reset_index(drop=True),
                    history_days=(cutoff - shop.data_range()[0].normalize()).days)
