"""`learned`: gradient-boosted trees on per-customer features, trained on the window just before the cutoff.

Training: features as of `cutoff - H` (orders before it), labels = purchase days in [cutoff - H, cutoff). Predicting:
the same features as of `cutoff`. So nothing at or after the cutoff is ever read (tests/test_predict_leakage.py).
A Poisson regressor gives `expected_orders`, a classifier `p_order_in_horizon`. With `features="rfm"` it is the
plain regressor on recency, frequency, age and monetary value that the benchmark compares against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from recs.errors import InputError
from recs.predict.base import Predictor
from recs.predict.bgnbd import BGNBD
from recs.predict.data import ShopData, memo

RFM_FEATURES = ["recency_days", "x", "age_days", "monetary"]
HISTORY_FEATURES = RFM_FEATURES + [
    "revenue", "orders", "gap_mean", "gap_std", "gap_median", "last_gap",  # inter-order gaps
    "days_30", "days_90", "days_180", "days_365", "revenue_180",  # trend over recent windows
    "categories", "products", "top_category_share",  # category mix
    "rate", "overdue",  # the customer's own cycle: purchases per day, days since the last / usual gap
]
BGNBD_FEATURES = ["bg_p_alive", "bg_expected_orders", "bg_p_order"]
MIN_TRAINING_CUSTOMERS = 50
MAX_TRAINING_ROWS = 60_000


def fitted_bgnbd(shop: ShopData, cutoff: pd.Timestamp, horizon_days: int) -> BGNBD:
    """The BG/NBD fit at a cutoff, shared by every model of one forecast or backtest."""
    return memo(shop, ("bgnbd", pd.Timestamp(cutoff), int(horizon_days)),
                lambda: BGNBD().fit(shop, cutoff, horizon_days))


def features(shop: ShopData, cutoff: pd.Timestamp, horizon_days: int, names: list[str]) -> pd.DataFrame:
    """The named features of every customer seen before `cutoff` (rows in `shop.history(cutoff)` order)."""
    history = shop.history(cutoff)
    table = history[[c for c in names if c in history.columns]].astype(float).copy()
    if "rate" in names:
        table["rate"] = history["purchase_days"] / np.maximum(history["age_days"].astype(float), 1.0)
    if "overdue" in names:
        table["overdue"] = np.where(history["gap_median"] > 0,
                                    history["recency_days"] / np.maximum(history["gap_median"].astype(float), 1.0),
                                    -1.0)
    if any(name in names for name in BGNBD_FEATURES):
        bg = fitted_bgnbd(shop, cutoff, horizon_days).details()
        table["bg_p_alive"] = bg["p_alive"].to_numpy()
        table["bg_expected_orders"] = bg["expected_orders"].to_numpy()
        table["bg_p_order"] = bg["p_order_in_horizon"].to_numpy()
    return table[names]


class Learned(Predictor):
    """Gradient-boosted trees (scikit-learn HistGradientBoosting) on the customer's features as of the cutoff."""

    name = "learned"

    def __init__(self, features: str = "all", max_iter: int = 80, learning_rate: float = 0.1,
                 random_state: int = 0) -> None:
        self.features = features
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _names(self) -> list[str]:
        return RFM_FEATURES if self.features == "rfm" else HISTORY_FEATURES + BGNBD_FEATURES

    def _fit(self, shop, cutoff, horizon_days):
        start = cutoff - pd.Timedelta(days=horizon_days)
        train = shop.history(start)
        if len(train) < MIN_TRAINING_CUSTOMERS:
            raise InputError(f"too little history to train the learned model: {len(train)} customers ordered "
                             f"before {start:%Y-%m-%d} (the start of the {horizon_days}-day window before the "
                             f"cutoff), at least {MIN_TRAINING_CUSTOMERS} needed")
        X = features(shop, start, horizon_days, self._names()).to_numpy()
        y = shop.outcome(train["customer_id"], start, cutoff)["purchase_days"].to_numpy()
        if len(X) > MAX_TRAINING_ROWS:  # bounded time at 10 M lines: a seeded sample of customers is plenty
            keep = np.random.default_rng(self.random_state).choice(len(X), MAX_TRAINING_ROWS, replace=False)
            X, y = X[keep], y[keep]
        common = {"max_iter": self.max_iter, "learning_rate": self.learning_rate, "min_samples_leaf": 40, "max_leaf_nodes": 15,
                  "early_stopping": False, "random_state": self.random_state}
        bought = (y > 0).astype(int)
        with threadpool_limits(1):  # OpenMP threads thrash on a busy 2-core machine; one is enough here
            self.regressor_ = HistGradientBoostingRegressor(loss="poisson", **common).fit(X, y)
            self.classifier_ = (HistGradientBoostingClassifier(**common).fit(X, bought)
                                if 0 < bought.sum() < len(bought) else None)
        self.base_rate_ = float(bought.mean())

    def _predict(self):
        X = features(self.shop_, self.cutoff_, self.horizon_days_, self._names()).to_numpy()
        with threadpool_limits(1):
            expected = self.regressor_.predict(X)
            chance = (self.classifier_.predict_proba(X)[:, 1] if self.classifier_ is not None
                      else np.full(len(X), self.base_rate_))
        return pd.DataFrame({"expected_orders": expected, "p_order_in_horizon": chance})
