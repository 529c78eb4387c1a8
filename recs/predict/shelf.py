"""Forecasts and re-buy lists shared by every page and session of one process, keyed by the caller's data key
(database file, last import of orders): the Predict, Customer and Product pages fit once per data version.
Bounded (the newest few) and thread-safe; entries are read-only."""

from __future__ import annotations

import threading
from collections import OrderedDict

import pandas as pd

from recs.db import table_counts
from recs.predict.backtest import Backtest, recent_backtest
from recs.predict.data import ShopData
from recs.predict.forecast import Forecast, forecast
from recs.predict.rebuy import due_to_rebuy

MAX_ENTRIES = 8
_lock = threading.Lock()
_entries: OrderedDict[tuple, object] = OrderedDict()
_building: dict[tuple, threading.Lock] = {}
_shops: dict[tuple, tuple[ShopData, threading.Lock]] = {}


def _shared(key: tuple, build):
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            return _entries[key]
        gate = _building.setdefault(key, threading.Lock())
    with gate:  # one build per key at a time; a second caller waits and then reads it
        with _lock:
            if key in _entries:
                return _entries[key]
        value = build()
        with _lock:
            _entries[key] = value
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
            _building.pop(key, None)
        return value


def _with_shop(con, data_key: tuple, work):
    """Run `work(shop)` on the one ShopData of this data key (so a forecast and the recent backtest share their
    queries and fits: the same cutoffs come up in both), one at a time, reading through today's cursor."""
    with _lock:
        if data_key not in _shops:
            for old in list(_shops)[:-1]:  # keep the newest data version only (and the one being added)
                del _shops[old]
            _shops[data_key] = (ShopData(con), threading.Lock())
        shop, gate = _shops[data_key]
    with gate:
        shop.con = con
        return work(shop)


def shared_forecast(con, data_key: tuple, horizon_days: int = 90, model: str = "best") -> Forecast:
    """`forecast(con, None, horizon_days, model)`, computed once per data key."""
    return _shared(("forecast", data_key, int(horizon_days), model),
                   lambda: _with_shop(con, data_key, lambda shop: forecast(con, None, horizon_days, model, shop=shop)))


def shared_backtest(con, data_key: tuple, horizon_days: int = 90) -> Backtest:
    """`recent_backtest(con, horizon_days)` (judged on the last H days of data), computed once per data key."""
    return _shared(("backtest", data_key, int(horizon_days)),
                   lambda: _with_shop(con, data_key, lambda shop: recent_backtest(con, horizon_days, shop=shop)))


def shared_rebuy(con, data_key: tuple, days: int = 30) -> pd.DataFrame:
    """`due_to_rebuy(con, None, days)`, computed once per data key."""
    return _shared(("rebuy", data_key, int(days)), lambda: due_to_rebuy(con, None, days))


QUICK_LINES = 250_000  # up to about this many order lines a shop's forecast fits in a second or two


def forecast_ready(data_key: tuple, horizon_days: int = 90, model: str = "best") -> bool:
    """True when `shared_forecast` for this data key is already computed (reading it is instant)."""
    with _lock:
        return ("forecast", data_key, int(horizon_days), model) in _entries


def rebuy_ready(data_key: tuple, days: int = 30) -> bool:
    """True when `shared_rebuy` for this data key is already computed."""
    with _lock:
        return ("rebuy", data_key, int(days)) in _entries


def quick_to_predict(con) -> bool:
    """Whether a shop is small enough that the Customer and Product pages predict without being asked: on a big
    shop the shop-wide fit takes a minute (10 M lines), so those pages offer it on demand instead."""
    return table_counts(con)["order_lines"] <= QUICK_LINES
