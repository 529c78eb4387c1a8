"""`repeat`: buy again. The customer's own products by frequency and recency, with a bonus when a product is
"due" (time since the last purchase near the product's typical repurchase cycle); popular products fill the rest.

Score of a product the customer bought (n orders, last bought d days ago, product cycle c days):
    f(n) * (0.5 ** (d / half_life_days) + cycle_weight * exp(-ln(d / c)^2 / (2 * 0.5^2))) + popularity_weight * pop
with f(n) = n (frequency "count") or log(1 + n) ("log"); the cycle term is 0 when nobody re-bought the product;
pop = the product's recency-weighted popularity scaled to [0, 1] (it breaks the many ties between products bought
once, and on Online Retail that matters more than recency). Own products score 1 + that (always above the
popular fill, which is scaled into [0, 1)). Defaults chosen on Online Retail validation cutoffs (docs/models.md).
Note: with "exclude purchased" on (the default rule) this model is the popular list; it is meant for re-buys.
"""

from __future__ import annotations

import copy

import numpy as np
import scipy.sparse as sp

from recs.interactions import Interactions
from recs.models._explain import lookup, sparse_keys
from recs.models.base import ParamSpec, Recommender, recency_popularity

CYCLE_WIDTH = 0.5  # std-dev of ln(days since / cycle): "due" from about 0.6x to 1.6x the cycle


class Repeat(Recommender):
    name = "repeat"
    label = "Buy again"
    description = ("The customer's own products ranked by how often and how recently they bought them, with a "
                   "bonus when a product is due for its usual repurchase; then popular products.")
    params = {
        "half_life_days": ParamSpec(365.0, float, 1.0, 3650.0, help="recency: a purchase this many days ago counts half"),
        "cycle_weight": ParamSpec(0.3, float, 0.0, 10.0, help="weight of 'due for repurchase' (0 = ignore cycles)"),
        "frequency": ParamSpec("count", str, choices=("count", "log"), help="how repeat orders count"),
        "popularity_weight": ParamSpec(3.0, float, 0.0, 100.0,
                                       help="adds the product's popularity (0..1) to own products: breaks ties"),
        "popular_half_life_days": ParamSpec(30.0, float, 0.0, 3650.0, help="half-life of the popular fill"),
    }
    param_grid = {"half_life_days": [90.0, 365.0], "cycle_weight": [0.0, 0.3, 1.0], "popularity_weight": [1.0, 3.0]}
    default_weighting = "count"
    order = 20
    intent = "rebuy"  # its lists are the customer's own products: a re-buy campaign

    def _fit(self, data: Interactions) -> None:
        pop = recency_popularity(data, self.popular_half_life_days)
        self.fill_ = (0.999 * pop / pop.max() if pop.max() > 0 else pop).astype(np.float32)
        self.own_ = self._own_scores(data)

    def _own_scores(self, data: Interactions) -> sp.csr_matrix:
        """1 + the score of every (customer, product) bought in `data` (the formula above)."""
        n = data.counts.data.astype(np.float64)
        d = data.last_days.data.astype(np.float64)
        freq = n if self.frequency == "count" else np.log1p(n)
        cycle = data.products["repurchase_days"].to_numpy(dtype=float, na_value=np.nan)[data.last_days.indices]
        own = freq * (np.power(0.5, d / self.half_life_days) + self.cycle_weight * _due(d, cycle))
        own += self.popularity_weight * (self.fill_ / 0.999)[data.last_days.indices]
        m = data.counts.copy().astype(np.float32)
        m.data = (1.0 + own).astype(np.float32)
        return m

    def with_history(self, history: Interactions) -> Repeat:
        """A read-only copy scoring the customer of `history` (their purchases since training added) from it: a
        product bought just now counts once more, is recent again and no longer due (its cycle restarts)."""
        view = copy.copy(self)  # shares the popular fill and the product information
        view.data_ = history
        view.own_ = self._own_scores(history)
        view._derive()
        return view

    def _derive(self) -> None:
        self._keys = sparse_keys(self.data_.counts)  # counts and last_days share one sparsity pattern

    def score(self, rows: np.ndarray) -> np.ndarray:
        out = np.tile(self.fill_, (len(rows), 1))
        own = self.own_[rows]
        r = np.repeat(np.arange(len(rows)), np.diff(own.indptr))
        out[r, own.indices] = own.data
        return out

    def reasons(self, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray, context: object) -> list[str]:
        """How often and how long ago the customer bought each product (popularity words for the fill)."""
        d = self.data_
        out = []
        for b, row in enumerate(rows):
            items = idx[b, : counts[b]]
            where = np.full(len(items), row)
            n = lookup(d.counts, self._keys, where, items)
            last = lookup(d.last_days, self._keys, where, items)
            for j, count, days in zip(items, n, last, strict=True):
                if count == 0:
                    out.append(self.popular_reason(int(j)))
                    continue
                cycle = self.info.cycle[j]
                usual = f", usually every {cycle:.0f} days" if np.isfinite(cycle) else ""
                out.append(f"Bought {times(int(count))}{usual}; last bought {days:.0f} days ago")
        return out


def times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n:,} times")


def _due(days: np.ndarray, cycle: np.ndarray) -> np.ndarray:
    out = np.zeros_like(days)
    ok = np.isfinite(cycle) & (cycle > 0)
    out[ok] = np.exp(-np.log(days[ok] / cycle[ok]) ** 2 / (2 * CYCLE_WIDTH**2))
    return out

