"""Prepared lists: every known customer's top 20 under the served rules, so most requests are a lookup.

Made in one batch `model.recommend` per chunk of customers (by the service's helper process, recs.service.
helper_process), kept read-only by the service (`Lists`), answered as the API's items.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from recs.rules import Rules

LIST_DEPTH = 20  # products prepared per customer (and folded): any k up to this, minus what they bought since
PREPARE_MAX_CUSTOMERS = 50_000  # above this, lists are computed per request (memory: ~5 KB per customer)
COLD = "\x00cold\x00"  # the key of the cold-start list (no customer id can hold NUL: ids are stripped text)


def items_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A recommendation frame as the API's items (product_id, product_name, score, reason)."""
    cols = frame[["product_id", "product_name", "score", "reason"]].to_dict("list")
    return [{"product_id": str(p), "product_name": str(n), "score": float(s) if math.isfinite(s) else 0.0,
             "reason": str(r)} for p, n, s, r in zip(cols["product_id"], cols["product_name"], cols["score"],
                                                      cols["reason"], strict=True)]


def prepared_lists(model: Any, rules: Any, customer_ids: list[str], depth: int = LIST_DEPTH
                   ) -> dict[str, tuple[dict[str, Any], ...]]:
    """customer -> their top-`depth` items (COLD: the cold-start list) in one batch `model.recommend`."""
    frame = model.recommend(list(customer_ids), k=depth, rules=rules)  # COLD is no customer: the cold start
    customers = frame["customer_id"].to_numpy()
    items = items_of(frame)
    out: dict[str, tuple[dict[str, Any], ...]] = {}
    start = 0
    for i in range(1, len(items) + 1):
        if i == len(items) or customers[i] != customers[start]:
            out[str(customers[start])] = tuple(items[start:i])
            start = i
    return out


class Lists:
    """The top-20 list of every known customer (and the cold-start list) under the served rules, computed in batch
    passes after a model loads (the same `model.recommend`, at batch speed), so most requests are a lookup:
    a list for k <= 20 is the first k of it (the ranking is a fixed total order, so a shorter list is a prefix of
    a longer one), minus the products bought since training when the rules exclude purchased products. Filled once,
    then read-only; until then, and for lists it cannot answer, lists are computed live."""

    def __init__(self) -> None:
        self._by_customer: dict[str, tuple[dict[str, Any], ...]] | None = None

    @property
    def ready(self) -> bool:
        return self._by_customer is not None

    def fill(self, model: Any, rules: Rules) -> None:
        """Compute the lists here, in this process (the service has its helper process do it: `adopt`)."""
        if model.data_.n_customers <= PREPARE_MAX_CUSTOMERS:
            self._by_customer = prepared_lists(model, rules, [*map(str, model.data_.customer_ids), COLD])

    def adopt(self, lists: dict[str, tuple]) -> None:
        """Take lists made elsewhere (by `prepared_lists`, in the helper process)."""
        self._by_customer = lists

    def get(self, customer_id: str | None, k: int, drop: frozenset[str] = frozenset()) -> list[dict[str, Any]] | None:
        """The prepared top-k of a customer (None: the cold-start list) without the products in `drop`; None when
        not prepared or too short to answer exactly."""
        found = self._by_customer
        if found is None:
            return None
        prepared = found.get(COLD if customer_id is None else customer_id)
        if prepared is None:
            return None
        kept = [item for item in prepared if item["product_id"] not in drop] if drop else list(prepared)
        complete = len(prepared) < LIST_DEPTH  # the whole list fitted: nothing beyond it to miss
        return kept[:k] if len(kept) >= k or complete else None
