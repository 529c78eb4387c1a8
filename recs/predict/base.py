"""The predictors' one interface: fit on orders strictly before a cutoff, predict every customer for H days.

A predictor's `predict()` returns one row per customer of `shop.history(cutoff)` (same order) with
`expected_orders` (purchase days in [cutoff, cutoff + H)) and `p_order_in_horizon`; the forecast adds the rest
(p_alive, revenue, CLV, next order, churn band) from the BG/NBD fit at the same cutoff. scikit-learn habits:
`__init__` only stores parameters, everything learned ends in `_`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recs.errors import InputError
from recs.predict.data import ShopData


class Predictor:
    """Base class: subclasses implement `_fit(shop, cutoff, horizon_days)` and `_predict()`."""

    name = ""

    def fit(self, shop: ShopData, cutoff: pd.Timestamp, horizon_days: int) -> Predictor:
        """Learn from the orders strictly before `cutoff`; returns self."""
        self.shop_ = shop
        self.cutoff_ = pd.Timestamp(cutoff)
        self.horizon_days_ = int(horizon_days)
        self._fit(shop, self.cutoff_, self.horizon_days_)
        return self

    def predict(self) -> pd.DataFrame:
        """customer_id, expected_orders, p_order_in_horizon for every customer seen before the cutoff."""
        if not hasattr(self, "cutoff_"):
            raise InputError(f"model {self.name!r} is not fitted yet")
        frame = self._predict()
        history = self.shop_.history(self.cutoff_)
        expected = np.nan_to_num(np.asarray(frame["expected_orders"], float), nan=0.0, posinf=0.0)
        chance = np.nan_to_num(np.asarray(frame["p_order_in_horizon"], float), nan=0.0)
        return pd.DataFrame({"customer_id": history["customer_id"].to_numpy(),
                             "expected_orders": np.maximum(expected, 0.0),
                             "p_order_in_horizon": np.clip(chance, 0.0, 1.0)})

    def _fit(self, shop: ShopData, cutoff: pd.Timestamp, horizon_days: int) -> None:
        raise NotImplementedError

    def _predict(self) -> pd.DataFrame:
        raise NotImplementedError
