"""The training data models are evaluated and tuned on: Interactions per weighting, built once per split.

`WarehouseData` reads them straight from the warehouse (`build_interactions`); `DataCache` builds them from lines
already in memory (`from_lines`, used by the tuning, whose training lines end before the evaluation cutoff). Both
come with the per-order purchase events the hybrid replays.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from recs.interactions import LINES_SQL, PRODUCTS_SQL, Interactions, build_interactions, from_lines


def load_lines(con: Any, cutoff: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training lines strictly before `cutoff` and the real products (the same SQL as build_interactions)."""
    param = cutoff.to_pydatetime()
    return con.execute(LINES_SQL, [param, param]).df(), con.execute(PRODUCTS_SQL).df()


class DataCache:
    """Interactions per weighting from one set of training lines, each with its per-order purchase events."""

    def __init__(self, lines: pd.DataFrame, products: pd.DataFrame, cutoff: pd.Timestamp) -> None:
        self.lines, self.products, self.cutoff = lines, products, cutoff
        self._cache: dict[str, Interactions] = {}

    def get(self, weighting: str) -> Interactions:
        if weighting not in self._cache:
            self._cache[weighting] = from_lines(self.lines, self.products, self.cutoff, weighting=weighting)
        return self._cache[weighting]


class WarehouseData:
    """Interactions per weighting read straight from the warehouse (`build_interactions`, the same matrices and
    per-order events `from_lines` builds from the lines); the lines themselves are fetched only for tuning."""

    def __init__(self, con: Any, cutoff: pd.Timestamp) -> None:
        self.con, self.cutoff = con, cutoff
        self._cache: dict[str, Interactions] = {}
        self._lines: tuple[pd.DataFrame, pd.DataFrame] | None = None

    def get(self, weighting: str) -> Interactions:
        if weighting not in self._cache:
            self._cache[weighting] = build_interactions(self.con, until=self.cutoff, weighting=weighting)
        return self._cache[weighting]

    def lines(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        if self._lines is None:
            self._lines = load_lines(self.con, self.cutoff)
        return self._lines
