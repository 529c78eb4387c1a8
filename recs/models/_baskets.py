"""Customers' baskets (orders) in time order, and the neighbour helpers the next-basket models share.

A basket is one order of one customer: the products of the purchase events with the same (customer row, order id).
`baskets_of(data)` numbers every customer's baskets 0, 1, ... in time order (an order's time is its first line;
ties by order id), from the exact events of the Interactions (approximated from counts and ages when missing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recs.interactions import Interactions
from recs.models._explain import lookup, sparse_keys
from recs.models._hybrid_windows import events_of
from recs.models.base import plural

NEIGHBOUR_BLOCK = 256  # customers whose neighbours are searched at once: a (block x customers) dense array


@dataclass(frozen=True)
class Baskets:
    """One entry per (customer, product, basket): the customer's row, the product's column, the basket's position
    among the customer's baskets (0 = first), plus every customer's basket count."""

    row: np.ndarray
    col: np.ndarray
    position: np.ndarray
    n_baskets: np.ndarray  # per customer row (0 for a row without purchases)

    @property
    def total(self) -> np.ndarray:
        """Baskets of the customer of each entry."""
        return self.n_baskets[self.row]


def baskets_of(data: Interactions) -> Baskets:
    """The baskets of every customer of `data`, in time order."""
    ev = events_of(data)
    row = ev["row"].to_numpy(dtype=np.int64)
    col = ev["col"].to_numpy(dtype=np.int64)
    ticks = np.asarray(ev["ordered_at"].to_numpy(), dtype="datetime64[ns]").view(np.int64)
    order_codes = np.unique(ev["order_id"].astype(str).to_numpy(), return_inverse=True)[1].astype(np.int64)
    # an order's time is its first event's; baskets ranked per customer by (time, order id)
    first = np.full(order_codes.max() + 1 if len(order_codes) else 0, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, order_codes, ticks)
    order_time = first[order_codes]
    by = np.lexsort((order_codes, order_time, row))
    r, o = row[by], order_codes[by]
    new_basket = np.ones(len(by), dtype=bool)
    new_basket[1:] = (r[1:] != r[:-1]) | (o[1:] != o[:-1])
    new_customer = np.ones(len(by), dtype=bool)
    new_customer[1:] = r[1:] != r[:-1]
    basket_no = np.cumsum(new_basket) - 1  # global basket number
    customer_first = np.maximum.accumulate(np.where(new_customer, basket_no, 0))
    position = np.empty(len(by), dtype=np.int64)
    position[by] = basket_no - customer_first
    n_baskets = np.zeros(data.n_customers, dtype=np.int64)
    np.maximum.at(n_baskets, row, position + 1)
    return Baskets(row=row, col=col, position=position, n_baskets=n_baskets)


def binary(m: sp.csr_matrix) -> sp.csr_matrix:
    """The same sparsity pattern with every stored value 1 (float32)."""
    return sp.csr_matrix((np.ones_like(m.data, dtype=np.float32), m.indices, m.indptr), shape=m.shape)


def top_per_row(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(columns, values) of the k largest values of every row, best first (ties by column)."""
    k = max(1, min(k, values.shape[1]))
    top = np.argpartition(-values, k - 1, axis=1)[:, :k] if k < values.shape[1] else \
        np.tile(np.arange(values.shape[1]), (len(values), 1))
    val = np.take_along_axis(values, top, axis=1)
    order = np.lexsort((top, -val), axis=1)
    return np.take_along_axis(top, order, axis=1), np.take_along_axis(val, order, axis=1)


def rows_matrix(ids: np.ndarray, weights: np.ndarray, n_columns: int) -> sp.csr_matrix:
    """Sparse (len(ids), n_columns) matrix with row b holding `weights[b]` at columns `ids[b]` (zeros dropped)."""
    m = sp.csr_matrix((weights.ravel().astype(np.float32), ids.ravel(), np.arange(0, ids.size + 1, ids.shape[1])),
                      shape=(len(ids), n_columns))
    m.sum_duplicates()
    m.eliminate_zeros()
    return m


def neighbour_reasons(model, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray, neighbours: sp.csr_matrix,
                      baskets: np.ndarray, who: str) -> list[str]:
    """Reasons for next-basket models: for a product the customer bought, how often ("Bought in 5 of their 12
    orders, about every 2 orders"); otherwise how many of the customer's neighbours (`neighbours`: rows x
    customers, positive weight = a neighbour; `who` names them) bought it; popularity words when none did."""
    data = model.data_
    nb = binary(neighbours).tocoo()
    other = nb.col != rows[nb.row]  # the customer is not their own neighbour here
    nb = sp.csr_matrix((nb.data[other], (nb.row[other], nb.col[other])), shape=nb.shape)
    n_nbrs = np.diff(nb.indptr)
    bought_by = (nb @ binary(data.counts)).tocsr()
    bought_by.sort_indices()
    keys, own_keys = sparse_keys(bought_by), sparse_keys(data.counts)
    out: list[str] = []
    for b, row in enumerate(rows):
        items = idx[b, : counts[b]]
        own = lookup(data.counts, own_keys, np.full(len(items), row), items)
        by = lookup(bought_by, keys, np.full(len(items), b), items)
        total = int(baskets[row])
        for j, n_own, n_by in zip(items, own, by, strict=True):
            if n_own >= total:
                out.append(f"Bought in every one of their {plural(total, 'order')}")
            elif n_own > 0:
                every = f", about every {total / n_own:.0f} orders" if n_own > 1 else ""
                out.append(f"Bought in {int(n_own)} of their {plural(total, 'order')}{every}")
            elif n_by > 0:
                out.append(f"Bought by {int(n_by)} of the {int(n_nbrs[b])} {who}")
            else:
                out.append(model.popular_reason(int(j)))
    return out
