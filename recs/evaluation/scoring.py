"""Scoring top-k lists against a temporal split: ranking metrics plus coverage, novelty and diversity, the same
for the evaluation and the tuning."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from recs.evaluation import metrics
from recs.evaluation.split import Split
from recs.interactions import Interactions
from recs.rules import Rules


@dataclasses.dataclass
class Scorer:
    """Scores top-k lists against a split: ranking metrics plus coverage, novelty and diversity."""

    split: Split
    data: Interactions
    k: int

    def __post_init__(self) -> None:
        binary = self.data.matrix.copy()
        binary.data[:] = 1.0
        self._vectors = metrics.item_vectors(binary)
        self._index = {str(p): j for j, p in enumerate(self.data.product_ids)}
        self._buyers = dict(zip(map(str, self.data.product_ids),
                                np.asarray((binary > 0).sum(axis=0)).ravel().tolist(), strict=True))

    def customers(self, mode: str) -> list[str]:
        return sorted(self.split.relevant(mode))

    def score(self, lists: Mapping[str, Sequence[str]], mode: str) -> dict[str, float]:
        return self._score(lists, mode)[0]

    def score_detail(self, lists: Mapping[str, Sequence[str]], mode: str) -> tuple[dict[str, float], pd.Series]:
        """The metrics of `score`, and NDCG@k per test customer of `mode` (index: customer id, sorted) from the
        same computation, for paired comparisons."""
        out, customers, arrays = self._score(lists, mode)
        return out, pd.Series(arrays["ndcg"], index=pd.Index(customers, dtype=object), dtype=np.float64).sort_index()

    def _score(self, lists: Mapping[str, Sequence[str]], mode: str) -> tuple[dict[str, float], list, dict]:
        relevant = self.split.relevant(mode)
        lists = {c: list(lists.get(c, ()))[: self.k] for c in relevant}
        computed = metrics.per_customer_metrics(lists, relevant, self.k)
        out = metrics.mean_ranking_metrics(lists, relevant, self.k, computed=computed)
        if not out["customers"]:  # no test customer in this mode: every figure is blank, not 0
            out.update(coverage=float("nan"), novelty=float("nan"), diversity=float("nan"))
            return (out, *computed)
        out["coverage"] = metrics.coverage(lists, self.data.n_products, self.k)
        out["novelty"] = metrics.novelty(lists, self._buyers, self.data.n_customers, self.k)
        out["diversity"] = metrics.diversity(lists, self._vectors, self._index, self.k)
        return (out, *computed)


def lists_from_frame(recs: pd.DataFrame) -> dict[str, list[str]]:
    """customer id -> product ids in rank order, from a `recommend` result."""
    recs = recs.sort_values(["customer_id", "rank"], kind="stable")
    customers = recs["customer_id"].astype(str).to_numpy()
    products = recs["product_id"].astype(str).to_numpy()
    if not len(customers):
        return {}
    starts = np.flatnonzero(np.r_[True, customers[1:] != customers[:-1]])  # one slice per customer, no groupby
    ends = np.r_[starts[1:], len(customers)]
    return {customers[s]: products[s:e].tolist() for s, e in zip(starts, ends, strict=True)}


def model_lists(model: Any, customers: list[str], k: int, mode: str, rules: Rules | None = None) -> dict:
    """Top-k lists of a fitted registry model for `customers` in `mode` (rules' exclude_purchased set by mode)."""
    rules = dataclasses.replace(rules or Rules(), exclude_purchased=(mode == "new"))
    rules = rules.usable(model.data_)[0]  # a pin or category the data before the cutoff lacks is left out
    return lists_from_frame(model.recommend(customers, k=k, rules=rules, reasons=False))
