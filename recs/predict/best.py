"""`best`: the model the shop's own recent past prefers, chosen on the window that ends at the cutoff.

Every candidate is fitted at `cutoff - H` and judged (per-customer MAE of purchase days) on [cutoff - H, cutoff);
the winner is then refitted at the cutoff. The window a backtest judges `best` on, [cutoff, cutoff + H), is never
read. Candidates: BG/NBD, the learned trees, weighted averages of the two (`blend_25`, `blend`, `blend_75`: a
quarter, half, three quarters learned), and the trees on RFM features only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recs.errors import InputError
from recs.predict.base import Predictor
from recs.predict.data import memo
from recs.predict.learned import Learned, fitted_bgnbd


class BGNBDShared(Predictor):
    """BG/NBD through the fit shared by one forecast or backtest (fitted once per cutoff)."""

    name = "bgnbd"

    def _fit(self, shop, cutoff, horizon_days):
        self.model_ = fitted_bgnbd(shop, cutoff, horizon_days)

    def _predict(self):
        return self.model_.details()


class LearnedShared(Predictor):
    """The learned trees through the fit shared by one forecast or backtest (fitted once per cutoff)."""

    name = "learned"

    def __init__(self, features: str = "all") -> None:
        self.features = features

    def _fit(self, shop, cutoff, horizon_days):
        self.model_ = memo(shop, ("learned", self.features, pd.Timestamp(cutoff), int(horizon_days)),
                           lambda: Learned(features=self.features).fit(shop, cutoff, horizon_days))

    def _predict(self):
        return self.model_.predict()


class Blend(Predictor):
    """A weighted average of BG/NBD and the learned trees (`weight` = the learned trees' share)."""

    name = "blend"

    def __init__(self, weight: float = 0.5) -> None:
        self.weight = weight

    def _fit(self, shop, cutoff, horizon_days):
        self.parts_ = [BGNBDShared().fit(shop, cutoff, horizon_days),
                       LearnedShared().fit(shop, cutoff, horizon_days)]

    def _predict(self):
        bg, learned = (part.predict() for part in self.parts_)
        return pd.DataFrame({column: (1 - self.weight) * bg[column].to_numpy() + self.weight * learned[column].to_numpy()
                             for column in ("expected_orders", "p_order_in_horizon")})


CANDIDATES = {"bgnbd": BGNBDShared, "blend_25": lambda: Blend(0.25), "blend": Blend, "blend_75": lambda: Blend(0.75),
              "learned": LearnedShared, "rfm_gbr": lambda: LearnedShared(features="rfm")}


def inner_scores(shop, cutoff: pd.Timestamp, horizon_days: int) -> dict[str, float]:
    """Per-customer MAE of each candidate fitted at cutoff - H on [cutoff - H, cutoff) (a failed fit is left out)."""
    start = cutoff - pd.Timedelta(days=horizon_days)
    customers = shop.history(start)["customer_id"]
    if len(customers) == 0:
        return {}
    actual = shop.outcome(customers, start, cutoff)["purchase_days"].to_numpy()
    scores = {}
    for name, cls in CANDIDATES.items():
        try:
            predicted = cls().fit(shop, start, horizon_days).predict()["expected_orders"].to_numpy()
        except InputError:
            continue
        scores[name] = float(np.abs(predicted - actual).mean())
    return scores


class Best(Predictor):
    """The candidate with the lowest MAE on the window ending at the cutoff (BG/NBD when none can be judged)."""

    name = "best"

    def _fit(self, shop, cutoff, horizon_days):
        self.scores_ = inner_scores(shop, cutoff, horizon_days)
        self.choice_ = min(self.scores_, key=self.scores_.get) if self.scores_ else "bgnbd"
        try:
            self.model_ = CANDIDATES[self.choice_]().fit(shop, cutoff, horizon_days)
        except InputError:
            self.choice_ = "bgnbd"
            self.model_ = BGNBDShared().fit(shop, cutoff, horizon_days)

    def _predict(self):
        return self.model_.predict()
