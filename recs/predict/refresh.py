"""Compute and store everything the pages show (`python -m recs predict refresh`, the app's background worker).

Most needed first: the default 90-day `best` forecast (Predict, Customer pages, win-back audience), who is due to
re-buy (Product page), the 90-day backtest, then the 30-day horizon and the other models the Predict page offers.
One `ShopData` serves them all, so the queries and fits the items share run once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recs.errors import InputError
from recs.predict import store
from recs.predict.backtest import recent_backtest
from recs.predict.data import ShopData
from recs.predict.forecast import forecast
from recs.predict.rebuy import due_to_rebuy
from recs.predict.store import DamagedPredictions, Item

DEFAULT_FORECAST = Item("forecast", 90, "best")
REBUY = Item("rebuy", 30)
PAGE_ITEMS = (DEFAULT_FORECAST, REBUY, Item("backtest", 90), Item("forecast", 30, "best"), Item("backtest", 30),
              Item("forecast", 90, "bgnbd"), Item("forecast", 90, "learned"), Item("forecast", 30, "bgnbd"),
              Item("forecast", 30, "learned"))


@dataclass(frozen=True)
class Outcome:
    """What refreshing one item did: `computed` (or found already stored), the message of the error that stopped
    it (too little history), seconds taken, and why it could not be stored (`problem`, e.g. a full disk)."""

    item: Item
    computed: bool
    error: str | None
    seconds: float
    value: Any = None
    problem: str | None = None


def current_fingerprint(con) -> dict[str, Any]:
    """The data version predictions are stored under: the fingerprint model runs use (recs.training)."""
    from recs.training import data_fingerprint

    return data_fingerprint(con)


def compute(con, item: Item, shop: ShopData) -> Any:
    """The value of `item` on all data (InputError when the shop cannot be predicted)."""
    if item.kind == "forecast":
        return forecast(con, None, item.days, item.model, shop=shop)
    if item.kind == "backtest":
        return recent_backtest(con, item.days, shop=shop)
    return due_to_rebuy(con, None, item.days)


def refresh_predictions(con, db_path: str | Path, items: tuple[Item, ...] = PAGE_ITEMS,
                        fingerprint: dict[str, Any] | None = None, force: bool = False,
                        progress: Callable[[int, int, Item], None] | None = None,
                        done: Callable[[Outcome], None] | None = None,
                        keep_going: Callable[[], bool] | None = None, shop: ShopData | None = None,
                        prune: bool = True) -> list[Outcome]:
    """Compute every item not yet stored for the data as it is now (all of them with `force`), store each as soon
    as it is done, and prune the predictions of older data versions once all are stored (unless `prune` is
    False). `progress(i, n, item)` is called before each item, `done(outcome)` after it (also for one found
    stored); `keep_going()` False stops between items; `shop` shares queries and fits with earlier calls on the
    same data. An item the shop cannot have (InputError: too little history) is stored as its message; a file
    that cannot be written (OSError) is the outcome's `problem`, and the value is still handed to `done`."""
    fingerprint = fingerprint or current_fingerprint(con)
    shop = shop if shop is not None else ShopData(con)
    outcomes: list[Outcome] = []
    for i, item in enumerate(items):
        if keep_going is not None and not keep_going():
            return outcomes
        if progress is not None:
            progress(i, len(items), item)
        if not force:
            try:
                found = store.load(db_path, fingerprint, item)
            except DamagedPredictions:
                found = None  # recomputed and overwritten below
            if found is not None:
                outcomes.append(Outcome(item, False, found.error, 0.0, found.value))
                if done is not None:
                    done(outcomes[-1])
                continue
        started = time.perf_counter()
        value, error = None, None
        try:
            value = compute(con, item, shop)
        except InputError as exc:
            error = str(exc)
        seconds = time.perf_counter() - started
        problem = None
        try:
            store.save(db_path, fingerprint, item, value=value, error=error, seconds=seconds)
        except OSError as exc:
            problem = f"computed but not stored: {exc}"
        outcome = Outcome(item, True, error, seconds, value, problem)
        outcomes.append(outcome)
        if done is not None:
            done(outcome)
    if prune:
        store.prune(db_path, fingerprint)
    return outcomes
