"""Forecasts and re-buy lists shared by every page and session of one process, keyed by the caller's data key
(database file, last import of orders): the Predict, Customer and Product pages fit once per data version.
Bounded (the newest few) and thread-safe; entries are read-only."""

from __future__ import annotations

import threading
from collections import OrderedDict

import pandas as pd

from recs.predict.forecast import Forecast, forecast
from recs.predict.rebuy import due_to_rebuy

MAX_ENTRIES = 8
_lock = threading.Lock()
_entries: OrderedDict[tuple, object] = OrderedDict()
_building: dict[tuple, threading.Lock] = {}


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


def shared_forecast(con, data_key: tuple, horizon_days: int = 90, model: str = "best") -> Forecast:
    """`forecast(con, None, horizon_days, model)`, computed once per data key."""
    return _shared(("forecast", data_key, int(horizon_days), model),
                   lambda: forecast(con, None, horizon_days, model))


def shared_rebuy(con, data_key: tuple, days: int = 30) -> pd.DataFrame:
    """`due_to_rebuy(con, None, days)`, computed once per data key."""
    return _shared(("rebuy", data_key, int(days)), lambda: due_to_rebuy(con, None, days))
