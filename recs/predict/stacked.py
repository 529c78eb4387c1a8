"""`stacked`: BG/NBD says how many purchases the customers make in all; gradient-boosted trees say who makes them.

The trees learn a per-customer correction of the BG/NBD forecast: a Poisson regressor on `y / bg` weighted by
`bg` (the same fit as a Poisson model of `y` with BG/NBD's prediction as its offset), on the learned model's
features (which include BG/NBD's own figures). Training rows come from up to WINDOWS windows that end at or before
the cutoff, half a horizon apart: features as of `start = cutoff - H - k H/2` (BG/NBD fitted there), label =
purchase days in `[start, start + H)`, for k = 0 .. 4. Two sets of shallow trees (depth 3, 100 rounds) are
averaged: one reads the windows as they were, the other with each window's overall BG/NBD error divided out (so
it learns who buys more or less than BG/NBD says, not how busy that season was); the first does better on Online
Retail, the second after a seasonal peak. docs/predict.md ("Models") has what else was measured. The
forecast's total is BG/NBD's at the cutoff, times the season's level (`seasonal_level`) when the history covers the
same H days a year earlier, so the trees only move purchases between customers. Nothing at or after the cutoff is
read (tests/test_predict_leakage.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from recs.errors import InputError
from recs.predict.base import Predictor
from recs.predict.data import ShopData
from recs.predict.learned import (
    BGNBD_FEATURES,
    HISTORY_FEATURES,
    MAX_TRAINING_ROWS,
    MIN_TRAINING_CUSTOMERS,
    features,
    fitted_bgnbd,
)

WINDOWS = 5  # training windows before the cutoff (each H days long, starting half a horizon apart)
FEATURES = HISTORY_FEATURES + BGNBD_FEATURES
FLOOR = 1e-3  # BG/NBD predictions below this count as this much (the correction is a ratio)
MAX_BINS = 255  # HistGradientBoosting's own maximum
MIN_SEASON_CUSTOMERS = 100  # customers a year earlier below which the season's level is not trusted
YEAR = pd.Timedelta(days=365)


def seasonal_level(shop: ShopData, cutoff: pd.Timestamp, horizon_days: int, expected_bg: np.ndarray) -> float:
    """How far to scale BG/NBD's total for the season, from the same H days a year earlier (1.0 without them).

    A year before the cutoff, the customers known H days earlier bought `s` times as many purchase days in the
    H days after `cutoff - 1 year` as in the H days before it. Carried over: the customers known at `cutoff - H`
    should buy `s` x their last H days; the level is that over BG/NBD's forecast for them, kept within 0.5 .. 2.
    Only customers known H days before the year-earlier window count, and at least MIN_SEASON_CUSTOMERS of them
    must have bought in those H days (a young shop's first weeks say little about a season)."""
    window = pd.Timedelta(days=horizon_days)
    year_ago = cutoff - YEAR
    first = shop.data_range()[0].normalize()
    if year_ago - window <= first:
        return 1.0
    known = shop.actuals(first, year_ago - window).index.to_series()
    before = shop.outcome(known, year_ago - window, year_ago)["purchase_days"]
    after = shop.outcome(known, year_ago, year_ago + window)["purchase_days"]
    recent = shop.history(cutoff - window)["customer_id"]
    last = shop.outcome(recent, cutoff - window, cutoff)["purchase_days"].sum()
    forecast_recent = expected_bg[shop.history(cutoff)["customer_id"].isin(recent).to_numpy()].sum()
    if (before > 0).sum() < MIN_SEASON_CUSTOMERS or forecast_recent <= 0:
        return 1.0
    return float(np.clip(last * after.sum() / before.sum() / forecast_recent, 0.5, 2.0))


def bin_edges(X: np.ndarray) -> list[np.ndarray]:
    """Per column, the thresholds HistGradientBoosting would bin an unweighted sample by (midpoints of up to 255
    distinct values, else 254 quantiles). Binned here because scikit-learn bins a weighted sample with one
    weighted percentile per threshold, which costs more than the whole fit."""
    edges = []
    for column in X.T:
        known = column[~np.isnan(column)]  # a missing value goes past the last edge
        distinct = np.unique(known)
        if len(distinct) <= MAX_BINS:
            edges.append((distinct[:-1] + distinct[1:]) / 2)
        else:
            edges.append(np.percentile(known, np.linspace(0, 100, MAX_BINS + 1)[1:-1],
                                       method="averaged_inverted_cdf"))
    return edges


def to_bins(X: np.ndarray, edges: list[np.ndarray]) -> np.ndarray:
    """Each value's bin number (value <= edge i: bin i), as the trees' input."""
    return np.column_stack([np.searchsorted(e, column, side="left") for e, column in zip(edges, X.T, strict=True)]
                           ).astype(float)


def training_windows(shop: ShopData, cutoff: pd.Timestamp, horizon_days: int, windows: int) -> list[pd.Timestamp]:
    """The starts `cutoff - H - k (H // 2)` (k = 0 .. windows - 1) with at least MIN_TRAINING_CUSTOMERS customers
    before them. Overlapping windows give the trees more varied rows than back-to-back ones for the same history
    (and, with an even H, the windows of a fit at `cutoff - H` start where some of these do)."""
    starts = []
    step = max(horizon_days // 2, 1)
    for k in range(windows):
        start = cutoff - pd.Timedelta(days=horizon_days + k * step)
        if start <= shop.data_range()[0] or len(shop.history(start)) < MIN_TRAINING_CUSTOMERS:
            break
        starts.append(start)
    return starts


class Stacked(Predictor):
    """BG/NBD's forecast, redistributed among customers by trees trained on several windows before the cutoff."""

    name = "stacked"

    def __init__(self, windows: int = WINDOWS, max_iter: int = 100, learning_rate: float = 0.1, max_depth: int = 3,
                 random_state: int = 0) -> None:
        self.windows = windows
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.random_state = random_state

    def _fit(self, shop, cutoff, horizon_days):
        starts = training_windows(shop, cutoff, horizon_days, self.windows)
        rng = np.random.default_rng(self.random_state)
        per_window = MAX_TRAINING_ROWS // max(len(starts), 1)
        parts = []
        for start in starts:
            X = features(shop, start, horizon_days, FEATURES).to_numpy()
            customers = shop.history(start)["customer_id"]
            y = shop.outcome(customers, start, start + pd.Timedelta(days=horizon_days))["purchase_days"].to_numpy()
            base = np.maximum(X[:, FEATURES.index("bg_expected_orders")], FLOOR)
            if y.sum() <= 0:
                continue
            level = np.full(len(X), y.sum() / base.sum())  # the window's overall BG/NBD error (its season)
            if len(X) > per_window:  # bounded time at 10 M lines: a seeded sample of each window is plenty
                keep = rng.choice(len(X), per_window, replace=False)
                X, y, base, level = X[keep], y[keep], base[keep], level[keep]
            parts.append((X, y, base, level))
        if not parts:
            raise InputError(f"too little history to train the stacked model: no {horizon_days}-day window before "
                             f"{cutoff:%Y-%m-%d} with at least {MIN_TRAINING_CUSTOMERS} customers before it")
        X, y, base, level = (np.concatenate(p) for p in zip(*parts, strict=True))
        self.windows_ = len(parts)
        self.bin_edges_ = bin_edges(X)
        binned = to_bins(X, self.bin_edges_)
        self.regressors_ = []
        with threadpool_limits(1):  # OpenMP threads thrash on a busy 2-core machine; one is enough here
            for offset in (base, base * level):  # as the windows were; each window's level divided out
                self.regressors_.append(HistGradientBoostingRegressor(
                    loss="poisson", max_iter=self.max_iter, learning_rate=self.learning_rate,
                    max_depth=self.max_depth, min_samples_leaf=40, max_leaf_nodes=15, early_stopping=False,
                    random_state=self.random_state,
                ).fit(binned, y / offset, sample_weight=offset))

    def _predict(self):
        X = features(self.shop_, self.cutoff_, self.horizon_days_, FEATURES).to_numpy()
        bg = fitted_bgnbd(self.shop_, self.cutoff_, self.horizon_days_).details()
        expected_bg = bg["expected_orders"].to_numpy(float)
        self.level_ = seasonal_level(self.shop_, self.cutoff_, self.horizon_days_, expected_bg)
        total = self.level_ * expected_bg.sum()  # BG/NBD's (for the season): the trees move purchases around
        binned = to_bins(X, self.bin_edges_)
        expected = np.zeros(len(X))
        for regressor in self.regressors_:  # the mean of the two sets of trees, each scaled to the total
            with threadpool_limits(1):
                share = np.maximum(expected_bg, FLOOR) * regressor.predict(binned)
            expected += share * (total / share.sum() / len(self.regressors_)) if share.sum() > 0 else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(expected_bg > 0, expected / expected_bg, 1.0)
        no_order = np.clip(1.0 - bg["p_order_in_horizon"].to_numpy(float), 0.0, 1.0)
        return pd.DataFrame({"expected_orders": expected, "p_order_in_horizon": 1.0 - no_order ** factor})
