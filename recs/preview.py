"""What the Customer and Product pages show that is not a model method.

A customer's order timeline and purchased products, a product's repurchase cycle, "customers who
bought this also bought" from co-purchase counts, the customers a model scores highest for one
product, and id/name search. Every value is a bound parameter; no SQL is built from user text.

Definitions (also in docs/models.md, "Using recommendations"):
- repurchase gap: for one customer and product, the whole days between two consecutive distinct calendar
  days on which they bought it (valid lines only); the product's cycle is the median gap over all customers
  (the same definition as `Interactions.products.repurchase_days`, which the models use).
- also bought: among the customers who bought X, how many bought each other product Y (valid lines,
  real products only), most customers first (ties by product id); share = those customers / buyers of X;
  lift = share / (buyers of Y / all customers).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recs import sql
from recs.cycles import cycle_shape
from recs.errors import InputError, NotFound


def _check_limit(limit: int) -> int:
    if int(limit) <= 0:
        raise InputError(f"limit must be a positive number, got {limit}")
    return int(limit)


def search_customers(con: Any, prefix: str = "", limit: int = 50) -> pd.DataFrame:
    """Customers whose id starts with `prefix` (empty: the first `limit` ids): customer_id, orders, last_order."""
    return sql.run(con, "preview/search_customers", [str(prefix or "").strip(), _check_limit(limit)]).df()


def search_products(con: Any, text: str = "", limit: int = 50) -> pd.DataFrame:
    """Products whose id starts with `text` or whose name contains it (case-insensitive): id matches first,
    then real products before postage and fees, then best sellers."""
    text = str(text or "").strip()
    return sql.run(con, "preview/search_products", {"text": text, "limit": _check_limit(limit)}).df()


def customer_summary(con: Any, customer_id: str) -> dict[str, Any]:
    """Orders, revenue, first/last order and country of one customer; NotFound when they have no valid order."""
    row = sql.run(con, "preview/customer_summary", {"customer": str(customer_id)}).fetchone()
    if row is None or not row[0]:
        raise NotFound(f"unknown customer id: {customer_id!r} (no valid orders with this id)")
    keys = ("orders", "revenue", "first_order", "last_order", "country")
    return dict(zip(keys, row, strict=True))


def customer_timeline(con: Any, customer_id: str) -> pd.DataFrame:
    """One row per order of the customer, oldest first: order_id, ordered_at, revenue, items, lines."""
    return sql.run(con, "preview/customer_timeline", {"customer": str(customer_id)}).df()


def customer_products(con: Any, customer_id: str) -> pd.DataFrame:
    """What the customer bought, most-ordered first: orders, quantity, revenue, first and last purchase."""
    return sql.run(con, "preview/customer_products", [str(customer_id)]).df()


def product_info(con: Any, product_id: str) -> dict[str, Any]:
    """Catalogue fields and sales totals of one product; NotFound when neither catalogue nor sales know it."""
    cur = sql.run(con, "preview/product_info", {"product": str(product_id)})
    names = [d[0] for d in cur.description]
    row = dict(zip(names, cur.fetchone(), strict=True))
    if row["product_id"] is None and not row["lines"]:
        raise NotFound(f"unknown product id: {product_id!r} (not in the catalogue and never sold)")
    row["product_id"] = str(product_id)
    return row


def repurchase_gaps(con: Any, product_id: str) -> pd.DataFrame:
    """Days between consecutive purchase days of the product by the same customer: customer_id, gap_days."""
    return sql.run(con, "preview/repurchase_gaps", [str(product_id)]).df()


def repurchase_cycle(con: Any, product_id: str) -> dict[str, Any]:
    """The product's repurchase cycle: median and quartiles of the gaps, how many customers re-bought, the gaps, and
    its `shape` (one or two humps, with the reminder advice: recs.cycles)."""
    gaps = repurchase_gaps(con, product_id)
    values = gaps["gap_days"].to_numpy(dtype=float)
    out: dict[str, Any] = {
        "gaps": gaps,
        "repeat_customers": int(gaps["customer_id"].nunique()),
        "repeat_purchases": len(values),
        "median_days": float(np.median(values)) if len(values) else None,
        "p25_days": float(np.percentile(values, 25)) if len(values) else None,
        "p75_days": float(np.percentile(values, 75)) if len(values) else None,
        "shape": cycle_shape(values),
    }
    return out


def also_bought(con: Any, product_id: str, limit: int = 10) -> pd.DataFrame:
    """Customers who bought this also bought: product_id, product_name, category, customers, share, lift."""
    return sql.run(con, "preview/also_bought", {"product": str(product_id), "limit": _check_limit(limit)}).df()


def training_snapshot(con: Any, cutoff: Any = None) -> dict[str, Any]:
    """What a model trained before `cutoff` saw: lines, orders, customers, products bought, first/last line."""
    stamp = None if cutoff is None else pd.Timestamp(cutoff).to_pydatetime()
    cur = sql.run(con, "preview/training_snapshot", {"cutoff": stamp})
    names = [d[0] for d in cur.description]
    out = dict(zip(names, cur.fetchone(), strict=True))
    out["cutoff"] = None if cutoff is None else pd.Timestamp(cutoff)
    return out


def score_matrix(model: Any, max_cells: int = 40_000_000) -> np.ndarray | None:
    """Every training customer's raw score for every product (float32, rows in `model.data_.customer_ids` order),
    or None when the matrix would exceed `max_cells`. Computed once per model, it turns each product's
    targeting list into a column lookup (the Product page keeps it while the model is in use)."""
    data = model.data_
    if data.n_customers * data.n_products > max_cells:
        return None
    return np.ascontiguousarray(model.score_customers(data.customer_ids).T)  # products x customers: a row per product


def _top_customers(model: Any, scores: np.ndarray, product_id: str, k: int, exclude_purchased: bool) -> pd.DataFrame:
    """Recommender.likely_buyers over a precomputed score matrix (same order and ties: by customer row)."""
    data = model.data_
    j = data.product_index(product_id)
    if j is None:
        raise NotFound(f"unknown product id {product_id!r} (not a real product in this data)")
    col = scores[j].astype(np.float64)
    if exclude_purchased:  # customers with a stored entry in column j bought it before the cutoff
        m = data.matrix
        rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
        col[rows[m.indices == j]] = -np.inf
    k = min(k, len(col))
    part = np.argpartition(-col, k - 1)[:k] if k < len(col) else np.arange(len(col))
    top = part[np.lexsort((part, -col[part]))]
    top = top[np.isfinite(col[top])]
    return pd.DataFrame({"customer_id": data.customer_ids[top].astype(str),
                         "rank": np.arange(1, len(top) + 1, dtype=np.int64), "score": col[top]})


def likely_buyers(con: Any, model: Any, product_id: str, limit: int = 20, exclude_purchased: bool = False,
                  scores: np.ndarray | None = None) -> pd.DataFrame:
    """Customers the model scores highest for one product (for targeting), with their history of it.

    Columns: customer_id, rank, score, bought_before (orders of this product), last_bought, orders (all).
    `scores` (from `score_matrix`) makes it a lookup; without it the model scores every customer.
    """
    if scores is None:
        top = model.likely_buyers(product_id, k=_check_limit(limit), exclude_purchased=exclude_purchased)
    else:
        top = _top_customers(model, scores, str(product_id), _check_limit(limit), exclude_purchased)
    if top.empty:
        return top.assign(bought_before=pd.Series(dtype="int64"), last_bought=pd.Series(dtype="datetime64[us]"),
                          orders=pd.Series(dtype="int64"))
    facts = sql.run(con, "preview/likely_facts", {"product": str(product_id),
                                                   "customers": list(top["customer_id"].astype(str))}).df()
    out = top.merge(facts, on="customer_id", how="left")
    out["bought_before"] = out["bought_before"].fillna(0).astype("int64")
    out["orders"] = out["orders"].fillna(0).astype("int64")
    return out[["customer_id", "rank", "score", "bought_before", "last_bought", "orders"]]
