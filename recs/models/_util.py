"""Small helpers shared by the models: parameter specs, product info for explanations, popularity, top-k,
co-purchase cosine and pair dot products."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

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


class ProductInfo:
    """Numpy copies of the product columns explanations read (pandas row access is slow in loops), and the two
    popularity texts of every product, built once so explaining never writes to a shared model."""

    def __init__(self, data: Interactions, recent_buyers: np.ndarray) -> None:
        p = data.products
        self.names = data.product_names()
        self.buyers = p["buyers"].to_numpy(dtype=np.int64) if "buyers" in p else np.zeros(len(p), dtype=np.int64)
        self.cycle = (p["repurchase_days"].to_numpy(dtype=float, na_value=np.nan) if "repurchase_days" in p
                      else np.full(len(p), np.nan))
        recent = [int(r) for r in recent_buyers]
        buyers = self.buyers.tolist()
        self.popular_reasons = [f"Popular this month: {plural(r, 'buyer')} ({b:,} in all)" if b else
                                "Not bought by anyone yet: no purchase signal" for b, r in zip(buyers, recent,
                                                                                                  strict=True)]
        self.cold_reasons = [f"Popular with customers like everyone: {plural(r, 'buyer')} this month, {b:,} in all "
                             "(no purchase history yet)" for b, r in zip(buyers, recent, strict=True)]


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


def top_indices(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, best first, ties by index."""
    k = min(k, len(values))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-values, k - 1)[:k] if k < len(values) else np.arange(len(values))
    return part[np.lexsort((part, -values[part]))]


def empty_recs() -> pd.DataFrame:
    """The recommendation frame with no rows (the columns and dtypes recommend() returns)."""
    return pd.DataFrame({"customer_id": pd.Series([], dtype=str), "rank": pd.Series([], dtype=np.int64),
                         "product_id": pd.Series([], dtype=str), "product_name": pd.Series([], dtype=str),
                         "score": pd.Series([], dtype=np.float64), "reason": pd.Series([], dtype=str)})


def co_purchase_cosine(matrix: sp.csr_matrix, j: int) -> np.ndarray:
    """Cosine between product j and every product over who bought them (binary customer x product matrix),
    0 for j itself. Computed per call from the CSR matrix (no cached transpose): a few linear passes."""
    n_rows, n_products = matrix.shape
    per_row = np.diff(matrix.indptr)
    row_of = np.repeat(np.arange(n_rows), per_row)
    bought_j = np.zeros(n_rows, dtype=bool)
    bought_j[row_of[matrix.indices == j]] = True
    co = np.bincount(matrix.indices[bought_j[row_of]], minlength=n_products).astype(np.float32)
    buyers = np.bincount(matrix.indices, minlength=n_products).astype(np.float32)
    denom = np.sqrt(buyers * buyers[j])
    out = np.divide(co, denom, out=np.zeros_like(co, dtype=np.float64), where=denom > 0)
    out[j] = 0.0
    return out


def row_dot(v: np.ndarray, i: np.ndarray, j: np.ndarray, max_cells: int = 20_000_000) -> np.ndarray:
    """v[i] . v[j] for many pairs: one matrix product over the distinct products involved (few thousand),
    then a lookup; falls back to chunked row dot products when that matrix would be too big."""
    ui, inv_i = compact(i, v.shape[0])
    uj, inv_j = compact(j, v.shape[0])
    if len(ui) * len(uj) <= max_cells:
        return (v[ui] @ v[uj].T)[inv_i, inv_j].astype(np.float64)
    out = np.empty(len(i), dtype=np.float64)
    for s in range(0, len(i), 200_000):
        out[s:s + 200_000] = np.einsum("ij,ij->i", v[i[s:s + 200_000]], v[j[s:s + 200_000]])
    return out


def compact(i: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values, position of each value among them) for ids in [0, n), in linear time."""
    present = np.zeros(n, dtype=bool)
    present[i] = True
    uniq = np.flatnonzero(present)
    where = np.zeros(n, dtype=np.int64)
    where[uniq] = np.arange(len(uniq))
    return uniq, where[i]
