"""Backtest: fit on orders strictly before a cutoff C, predict [C, C + H), compare with what happened.

One row per model (BACKTEST_COLUMNS): per-customer MAE and RMSE of purchase days, predicted / actual total orders
and revenue, AUC and Brier score of "orders again within H", and the fit time. The calibration table is what
lifetimes' `plot_calibration_purchases_vs_holdout_purchases` draws: mean predicted vs actual purchases by the
number of repeat purchases before C. Every model sees the same customers: everyone seen before C.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from recs.errors import InputError
from recs.predict.data import ShopData
from recs.predict.forecast import resolve_request
from recs.predict.learned import fitted_bgnbd
from recs.predict.registry import BACKTEST_MODELS, get_predictor

BACKTEST_COLUMNS = ["model", "customers", "mae", "rmse", "total_ratio", "revenue_ratio", "auc", "brier",
                    "fit_seconds"]
CALIBRATION_COLUMNS = ["model", "past_repeat_purchases", "customers", "predicted", "actual"]
CALIBRATION_CAP = 7  # repeat purchases of 7 or more are one group ("7+" on the chart, 7 in the file)


@dataclass(frozen=True)
class Backtest:
    """A backtest's table, its calibration table, and the window it judged."""

    table: pd.DataFrame  # BACKTEST_COLUMNS, one row per model
    calibration: pd.DataFrame  # CALIBRATION_COLUMNS
    cutoff: pd.Timestamp
    horizon_days: int
    best_choice: str  # the candidate `best` picked on the window before the cutoff
    actual_orders: float  # purchase days in the judged window by customers seen before the cutoff
    actual_revenue: float
    notes: tuple[str, ...] = field(default=())


def score(predicted: np.ndarray, chance: np.ndarray, actual: np.ndarray, revenue_predicted: float,
          revenue_actual: float) -> dict[str, float]:
    """The backtest's figures for one model."""
    error = predicted - actual
    bought = (actual > 0).astype(int)
    auc = float(roc_auc_score(bought, chance)) if 0 < bought.sum() < len(bought) else float("nan")
    return {"mae": float(np.abs(error).mean()), "rmse": float(np.sqrt((error ** 2).mean())),
            "total_ratio": float(predicted.sum() / actual.sum()) if actual.sum() > 0 else float("nan"),
            "revenue_ratio": revenue_predicted / revenue_actual if revenue_actual > 0 else float("nan"),
            "auc": auc, "brier": float(((chance - bought) ** 2).mean())}


def calibration(model: str, past: np.ndarray, predicted: np.ndarray, actual: np.ndarray) -> pd.DataFrame:
    """Mean predicted and actual purchases by repeat purchases before the cutoff (capped at CALIBRATION_CAP)."""
    group = np.minimum(past, CALIBRATION_CAP).astype(int)
    frame = pd.DataFrame({"g": group, "p": predicted, "a": actual}).groupby("g")
    out = pd.DataFrame({"customers": frame.size(), "predicted": frame["p"].mean(), "actual": frame["a"].mean()})
    out = out.reset_index().rename(columns={"g": "past_repeat_purchases"})
    out.insert(0, "model", model)
    return out[CALIBRATION_COLUMNS]


def backtest(con, until, horizon_days=90, models: tuple[str, ...] = BACKTEST_MODELS,
             shop: ShopData | None = None, history_factor: float = 2.0) -> Backtest:
    """Fit every model on orders before `until`, judge on [until, until + H); InputError when it cannot.
    `history_factor`: the history needed before the cutoff in multiples of H (the benchmark runs CDNOW as the
    paper does, with 1 x H; the page and the CLI keep 2)."""
    shop = shop if shop is not None else ShopData(con)
    if until is None:
        raise InputError("a backtest needs a cutoff date (--until DATE) with at least H days of orders after it")
    cutoff, horizon = resolve_request(shop, until, horizon_days, "best", judged=True, history_factor=history_factor)
    customers = shop.history(cutoff)
    outcome = shop.outcome(customers["customer_id"], cutoff, cutoff + pd.Timedelta(days=horizon))
    actual = outcome["purchase_days"].to_numpy()
    revenue_actual = float(outcome["revenue"].sum())
    spend = fitted_bgnbd(shop, cutoff, horizon).details()["expected_spend"].to_numpy()
    past = customers["x"].to_numpy()
    rows, curves, choice = [], [], "bgnbd"
    for name in models:
        started = time.perf_counter()
        try:
            predictor = get_predictor(name).fit(shop, cutoff, horizon)
            predicted = predictor.predict()
        except InputError:
            continue  # e.g. learned without a window before the cutoff to train on
        seconds = time.perf_counter() - started
        expected = predicted["expected_orders"].to_numpy()
        figures = score(expected, predicted["p_order_in_horizon"].to_numpy(), actual,
                        float((expected * spend).sum()), revenue_actual)
        rows.append({"model": name, "customers": len(customers), **figures, "fit_seconds": round(seconds, 3)})
        curves.append(calibration(name, past, expected, actual))
        if name == "best":
            choice = predictor.choice_
    bg = fitted_bgnbd(shop, cutoff, horizon)
    return Backtest(table=pd.DataFrame(rows, columns=BACKTEST_COLUMNS),
                    calibration=pd.concat(curves, ignore_index=True) if curves else
                    pd.DataFrame(columns=CALIBRATION_COLUMNS),
                    cutoff=cutoff, horizon_days=horizon, best_choice=choice, actual_orders=float(actual.sum()),
                    actual_revenue=revenue_actual, notes=tuple(n for n in (bg.note_, bg.spend_note_) if n))


def recent_backtest(con, horizon_days=90, shop: ShopData | None = None) -> Backtest:
    """The backtest whose judged window is the last H days of data (cutoff = the day after the last order - H):
    how right each model would have been on the most recent days it could be judged on."""
    shop = shop if shop is not None else ShopData(con)
    from recs.predict.data import check_horizon, default_cutoff

    horizon = check_horizon(horizon_days)
    return backtest(con, default_cutoff(shop) - pd.Timedelta(days=horizon), horizon, shop=shop)
