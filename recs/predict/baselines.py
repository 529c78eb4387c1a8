"""Naive baselines every model is judged against: the mean, and the customer's own past rate x H."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recs.predict.base import Predictor


class MeanBaseline(Predictor):
    """Everyone gets the mean purchase days per customer of the window just before the cutoff."""

    name = "mean"

    def _fit(self, shop, cutoff, horizon_days):
        start = cutoff - pd.Timedelta(days=horizon_days)
        past = shop.history(start)
        if len(past):
            outcome = shop.outcome(past["customer_id"], start, cutoff)["purchase_days"].to_numpy()
            self.mean_ = float(outcome.mean())
            self.share_ = float((outcome > 0).mean())
        else:  # no customer before the previous window (a short history): the shop's mean rate so far x H
            now = shop.history(cutoff)
            rate = now["purchase_days"].sum() / max(float(now["age_days"].sum()), 1.0)
            self.mean_ = float(rate * horizon_days)
            self.share_ = float(1.0 - np.exp(-self.mean_))

    def _predict(self):
        n = len(self.shop_.history(self.cutoff_))
        return pd.DataFrame({"expected_orders": np.full(n, self.mean_),
                             "p_order_in_horizon": np.full(n, self.share_)})


class PastRateBaseline(Predictor):
    """Each customer keeps buying at their own past rate: purchase days / days since the first one x H."""

    name = "past_rate"

    def _fit(self, shop, cutoff, horizon_days):
        pass

    def _predict(self):
        history = self.shop_.history(self.cutoff_)
        rate = history["purchase_days"].to_numpy(float) / np.maximum(history["age_days"].to_numpy(float), 1.0)
        expected = rate * self.horizon_days_
        return pd.DataFrame({"expected_orders": expected, "p_order_in_horizon": 1.0 - np.exp(-expected)})
