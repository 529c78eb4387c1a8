"""`popular`: the same list for everyone, products ranked by recency-weighted number of buyers."""

from __future__ import annotations

import numpy as np

from recs.interactions import Interactions
from recs.models.base import ParamSpec, Recommender, recency_popularity


class Popular(Recommender):
    name = "popular"
    label = "Popular"
    description = ("Best sellers: each buyer counts 0.5 ** (days since they last bought it / half-life), so "
                   "recent buyers count more. The same list for everyone; a strong, honest baseline.")
    params = {"half_life_days": ParamSpec(30.0, float, 0.0, 3650.0,
                                          help="days after which a purchase counts half; 0 = every buyer counts 1")}
    param_grid = {"half_life_days": [7.0, 30.0, 90.0, 0.0]}
    default_weighting = "binary"
    order = 10

    def _fit(self, data: Interactions) -> None:
        self.scores_ = recency_popularity(data, self.half_life_days).astype(np.float32)

    def _derive(self) -> None:
        self._cold_scores = self.scores_  # customers without history get the same list as everyone

    def score(self, rows: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.scores_, (len(rows), len(self.scores_))).copy()

    def reasons(self, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray, context: object) -> list[str]:
        return [self.popular_reason(int(j)) for b in range(len(rows)) for j in idx[b, : counts[b]]]
