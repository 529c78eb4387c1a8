"""`best`: the stacked model (BG/NBD's total, redistributed among customers by trees), unless the shop's own recent
past prefers BG/NBD alone.

Both are fitted at `cutoff - H` and judged (per-customer MAE of purchase days) on [cutoff - H, cutoff); the
winner (the stacked model on a tie) is then fitted at the cutoff. The window a backtest judges `best` on,
[cutoff, cutoff + H), is never read. The stacked model judged at `cutoff - H` trains on two windows fewer than
the one fitted at the cutoff, so (with an even H) the choice reads no cutoff the final fit does not. When the stacked model cannot
be judged (too little history before `cutoff - 2 H`), `best` is BG/NBD. The learned trees, their half-and-half
blend with BG/NBD and the trees on RFM only are backtest rows (`recs/predict/registry.py`), no longer candidates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recs.errors import InputError
from recs.predict.base import Predictor
from recs.predict.data import memo
from recs.predict.learned import Learned, fitted_bgnbd
from recs.predict.stacked import WINDOWS, Stacked


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


CANDIDATES = {"stacked": Stacked, "bgnbd": BGNBDShared}  # in order of preference on a tie


def inner_scores(shop, cutoff: pd.Timestamp, horizon_days: int) -> dict[str, float]:
    """Per-customer MAE of each candidate fitted at cutoff - H on [cutoff - H, cutoff) (a failed fit is left out;
    the stacked model trains on two windows fewer there, which start where the final fit's last three do)."""
    start = cutoff - pd.Timedelta(days=horizon_days)
    customers = shop.history(start)["customer_id"]
    if len(customers) == 0:
        return {}
    actual = shop.outcome(customers, start, cutoff)["purchase_days"].to_numpy()
    scores = {}
    builders = {"stacked": lambda: Stacked(windows=WINDOWS - 2), "bgnbd": BGNBDShared}
    for name, build in builders.items():
        try:
            predicted = build().fit(shop, start, horizon_days).predict()["expected_orders"].to_numpy()
        except InputError:
            continue
        scores[name] = float(np.abs(predicted - actual).mean())
    return scores


class Best(Predictor):
    """The candidate with the lowest MAE on the window ending at the cutoff (BG/NBD when the stacked model cannot
    be judged there)."""

    name = "best"

    def _fit(self, shop, cutoff, horizon_days):
        self.scores_ = inner_scores(shop, cutoff, horizon_days)
        judged = [name for name in CANDIDATES if name in self.scores_]
        self.choice_ = min(judged, key=self.scores_.get) if "stacked" in judged else "bgnbd"
        try:
            self.model_ = CANDIDATES[self.choice_]().fit(shop, cutoff, horizon_days)
        except InputError:
            self.choice_ = "bgnbd"
            self.model_ = BGNBDShared().fit(shop, cutoff, horizon_days)

    def _predict(self):
        return self.model_.predict()
