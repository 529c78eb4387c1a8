"""Small helpers shared by the models: parameter specs, product info for explanations, popularity, top-k."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recs.errors import InputError
from recs.interactions import Interactions


@dataclass(frozen=True)
class ParamSpec:
    """One hyper-parameter: the page draws a widget from it, the CLI coerces `k=v` text with it."""

    default: Any
    type: type
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None
    help: str = ""

    def coerce(self, name: str, value: Any) -> Any:
        try:
            if self.type is bool and isinstance(value, str):
                if value.strip().lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError(value)
                value = value.strip().lower() in ("1", "true", "yes")
            elif self.type is int and isinstance(value, str):
                number = float(value)
                if not number.is_integer():
                    raise ValueError(value)
                value = int(number)
            elif self.type is int and isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            value = self.type(value)
        except (TypeError, ValueError) as exc:
            raise InputError(f"parameter {name}: {value!r} is not a valid {self.type.__name__}") from exc
        if self.choices is not None and value not in self.choices:
            raise InputError(f"parameter {name}: {value!r} is not one of {', '.join(map(str, self.choices))}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not np.isfinite(value):
                raise InputError(f"parameter {name}: {value!r} is not a finite number")
            if self.low is not None and value < self.low or self.high is not None and value > self.high:
                raise InputError(f"parameter {name}: {value!r} is outside [{self.low}, {self.high}]")
        return value


def join_names(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    names = [str(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def plural(n: int, word: str) -> str:
    """'1 buyer', '412 buyers'."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def recency_popularity(data: Interactions, half_life_days: float) -> np.ndarray:
    """Buyers per product, each weighted 0.5 ** (days since their last purchase / half-life); 0 = no decay."""
    m = data.last_days.tocsc()
    w = np.ones_like(m.data, dtype=np.float64) if half_life_days <= 0 else np.power(0.5, m.data / half_life_days)
    out = np.zeros(data.n_products)
    nz = np.diff(m.indptr)
    out[nz > 0] = np.add.reduceat(w, m.indptr[:-1][nz > 0]) if w.size else 0.0
    return out


class _ProductInfo:
    def __init__(self, data: Interactions) -> None:
        p = data.products
        self.data = data
        self.popular_reasons: dict[int, str] = {}
        self.cold_reasons: dict[int, str] = {}
        self.names = data.product_names()
        self.buyers = p["buyers"].to_numpy(dtype=np.int64) if "buyers" in p else np.zeros(len(p), dtype=np.int64)
        self.cycle = (p["repurchase_days"].to_numpy(dtype=float, na_value=np.nan) if "repurchase_days" in p
                      else np.full(len(p), np.nan))


def recency_popularity_count(data: Interactions, days: float) -> np.ndarray:
    """Distinct customers whose last purchase of each product is within `days` of the cutoff."""
    m = data.last_days
    return np.bincount(m.indices[m.data <= days], minlength=data.n_products).astype(np.float64)


def check_k(k: Any) -> int:
    """k as a whole number >= 1 (InputError otherwise): the one check for models and evaluation."""
    try:
        k = int(k)
    except (TypeError, ValueError) as exc:
        raise InputError(f"k must be a whole number, got {k!r}") from exc
    if k <= 0:
        raise InputError(f"k must be at least 1, got {k}")
    return k


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, best first, ties by index."""
    k = min(k, len(values))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-values, k - 1)[:k] if k < len(values) else np.arange(len(values))
    return part[np.lexsort((part, -values[part]))]


def _empty_recs() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series([], dtype=str), "rank": pd.Series([], dtype=np.int64),
                         "product_id": pd.Series([], dtype=str), "product_name": pd.Series([], dtype=str),
                         "score": pd.Series([], dtype=np.float64), "reason": pd.Series([], dtype=str)})
