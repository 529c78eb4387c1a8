"""What every model does the same way, written once: customer ids to rows, cold start, business rules, top-k,
reasons and the output frames. A model only scores rows (see `Recommender`); these functions do the rest, and
`Recommender.recommend` / `similar_items` / `likely_buyers` / `explain` / `score_customers` delegate here.

Nothing here writes to the model: a fitted model is read-only and shared between sessions and threads.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recs.errors import NotFound
from recs.interactions import Interactions
from recs.models._explain import explain_by_contributions
from recs.models._util import check_k, empty_recs, top_indices
from recs.rules import Rules, apply_rules


class Recommender(Protocol):
    """What these functions use of a fitted model (recs.models.base.Recommender provides it all)."""

    data_: Interactions
    popularity_: np.ndarray
    why: str

    @property
    def info(self) -> Any: ...
    @property
    def cold_scores(self) -> np.ndarray: ...
    def score(self, rows: np.ndarray) -> np.ndarray: ...
    def score_with_context(self, rows: np.ndarray) -> tuple[np.ndarray, Any]: ...
    def reasons(self, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray, context: Any) -> list[str] | None: ...
    def pair_weights(self, i: np.ndarray, j: np.ndarray) -> np.ndarray: ...
    def similar(self, j: int) -> np.ndarray: ...
    def cold_reason(self, j: int) -> str: ...
    def popular_reason(self, j: int) -> str: ...


BATCH = 1000
PINNED = "Pinned by a merchandiser rule. "


def customer_rows(data: Interactions, customer_ids: Iterable[Any]) -> np.ndarray:
    """Row per id; -1 for unknown customers and for customers without any history (cold start)."""
    rows = np.array([-1 if (i := data.customer_index(c)) is None else i for c in customer_ids], dtype=np.int64)
    if rows.size:
        nnz = np.diff(data.matrix.indptr)
        known = rows >= 0
        rows[known] = np.where(nnz[rows[known]] > 0, rows[known], -1)
    return rows


def product_column(data: Interactions, product_id: Any) -> int:
    """Column of a product id; NotFound for an id that is not a real product of the data."""
    j = data.product_index(product_id)
    if j is None:
        raise NotFound(f"unknown product id {product_id!r} (not a real product in this data)")
    return j


def score_rows(model: Recommender, rows: np.ndarray, with_context: bool = False) -> tuple[np.ndarray, Any]:
    """(dense float32 scores, context) for rows from `customer_rows`: the model scores the known rows (with the
    context for its reasons when asked), cold rows get the model's cold-start scores."""
    out = np.empty((len(rows), model.data_.n_products), dtype=np.float32)
    known = rows >= 0
    context = None
    if known.any():
        if with_context:
            out[known], context = model.score_with_context(rows[known])
        else:
            out[known] = model.score(rows[known])
    if (~known).any():
        out[~known] = model.cold_scores
    return out, context


def score_customers(model: Recommender, customer_ids: Iterable[Any]) -> np.ndarray:
    """Raw dense scores (customers, products) before rules, cold start included (for re-rankers and targeting)."""
    return score_rows(model, customer_rows(model.data_, list(customer_ids)))[0]


def purchased(data: Interactions, rows: np.ndarray) -> sp.csr_matrix:
    """The rows' purchases (empty for cold rows), for the "exclude purchased" rule."""
    m = data.matrix
    out = m[np.maximum(rows, 0)].tocsr()
    if (rows < 0).any():
        keep = sp.diags((rows >= 0).astype(np.float32))
        out = (keep @ out).tocsr()
        out.eliminate_zeros()
    return out


def reasons_for(model: Recommender, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray,
                context: Any = None) -> list[str]:
    """One reason per recommendation, row-major over `idx[b, :counts[b]]`: cold rows get the cold-start text, the
    known rows what `model.reasons` says (given the context its scoring returned), or, when it says None, the
    purchases that contributed most (`explain_by_contributions`)."""
    known = rows >= 0
    rec_known = np.repeat(known, counts)
    out = np.empty(int(np.sum(counts)), dtype=object)
    if (~rec_known).any():
        cold_j = np.concatenate([idx[b, : counts[b]] for b in np.flatnonzero(~known)])
        out[~rec_known] = [model.cold_reason(int(j)) for j in cold_j]
    if known.any():
        k_rows, k_idx, k_counts = rows[known], idx[known], counts[known]
        texts = model.reasons(k_rows, k_idx, k_counts, context)
        if texts is None:
            texts = explain_by_contributions(model, k_rows, k_idx, k_counts)
        out[rec_known] = texts
    return out.tolist()


def recommend(model: Recommender, customer_ids: Iterable[Any] | None = None, k: int = 10, rules: Rules | None = None,
              reasons: bool = True, batch_size: int = BATCH) -> pd.DataFrame:
    """Top-k per customer after the rules: customer_id, rank (1..k), product_id, product_name, score, reason.

    `customer_ids=None` means every customer in the training data. Unknown customers get the cold-start list.
    """
    k = check_k(k)
    rules = rules or Rules()
    d = model.data_
    rules.check(d)
    if isinstance(customer_ids, str | int):
        customer_ids = [customer_ids]
    ids = list(d.customer_ids) if customer_ids is None else list(dict.fromkeys(str(c) for c in customer_ids))
    rows = customer_rows(d, ids)
    names = model.info.names
    pins = {d.product_index(p) for p in rules.pin}
    tiebreak = model.popularity_
    frames = []
    for start in range(0, len(ids), batch_size):
        r = rows[start:start + batch_size]
        scores, context = score_rows(model, r, with_context=reasons)
        idx, sc = apply_rules(scores, purchased(d, r), d, rules, k, tiebreak=tiebreak)
        del scores
        counts = (idx >= 0).sum(axis=1)
        flat = idx[idx >= 0]
        cust = np.repeat(np.array(ids[start:start + batch_size], dtype=object), counts)
        frame = pd.DataFrame({
            "customer_id": cust,
            "rank": np.concatenate([np.arange(1, c + 1) for c in counts]) if len(counts) else [],
            "product_id": d.product_ids[flat],
            "product_name": names[flat],
            "score": sc[idx >= 0].astype(np.float64),
        })
        if reasons:
            texts = reasons_for(model, r, idx, counts, context)
            if pins:
                texts = [(PINNED if j in pins else "") + t for j, t in zip(flat, texts, strict=True)]
            frame["reason"] = texts
        else:
            frame["reason"] = ""
        frames.append(frame)
    if not frames:
        return empty_recs()
    out = pd.concat(frames, ignore_index=True)
    out["rank"] = out["rank"].astype(np.int64)
    for col in ("customer_id", "product_id", "product_name", "reason"):
        out[col] = out[col].astype(str)
    return out


def explain(model: Recommender, customer_id: Any, product_id: Any) -> str:
    """Why `product_id` is suggested to `customer_id`, in words a merchandiser reads."""
    j = product_column(model.data_, product_id)
    rows = customer_rows(model.data_, [customer_id])
    return reasons_for(model, rows, np.array([[j]], dtype=np.int64), np.array([1]))[0]


def similar_items(model: Recommender, product_id: Any, k: int = 10) -> pd.DataFrame:
    """Products most like `product_id` (rank, product_id, product_name, score); only positive scores."""
    k = check_k(k)
    d = model.data_
    j = product_column(d, product_id)
    sim = np.asarray(model.similar(j), dtype=np.float64).copy()
    sim[j] = -np.inf
    top = top_indices(sim, k)
    top = top[sim[top] > 0]
    return pd.DataFrame({"rank": np.arange(1, len(top) + 1, dtype=np.int64),
                         "product_id": d.product_ids[top].astype(str),
                         "product_name": model.info.names[top].astype(str),
                         "score": sim[top]})


def likely_buyers(model: Recommender, product_id: Any, k: int = 20, exclude_purchased: bool = False) -> pd.DataFrame:
    """Customers the model scores highest for one product (targeting): customer_id, rank, score."""
    k = check_k(k)
    d = model.data_
    j = product_column(d, product_id)
    col = np.empty(d.n_customers, dtype=np.float64)
    for start in range(0, d.n_customers, BATCH):
        rows = customer_rows(d, d.customer_ids[start:start + BATCH])
        col[start:start + BATCH] = score_rows(model, rows)[0][:, j]
    if exclude_purchased:
        col[d.matrix.tocsc()[:, j].indices] = -np.inf
    top = top_indices(col, k)
    top = top[np.isfinite(col[top])]
    return pd.DataFrame({"customer_id": d.customer_ids[top].astype(str),
                         "rank": np.arange(1, len(top) + 1, dtype=np.int64), "score": col[top]})
