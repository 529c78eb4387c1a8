"""The customer x product matrix every recommender learns from.

Built from the `valid_lines` view joined to `products` with is_product = true, lines with a customer id,
ordered strictly before a cutoff. Columns are EVERY real product (never-bought ones too, so the content
model can recommend them); rows are the customers with at least one such line.

Weighting of a (customer, product) cell, with n = distinct orders containing the product:
- binary:  1
- count:   n
- log:     log(1 + n)
- recency: sum over those orders of 0.5 ** (age_days / half_life_days), age measured to the cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recs.errors import InputError

WEIGHTINGS = ("binary", "count", "log", "recency")
MIN_DAYS = 1.0 / 1440.0  # last_days is stored sparse, so it must stay > 0: one minute at least

LINES_SQL = """
SELECT v.customer_id, v.product_id, v.order_id, v.ordered_at
FROM valid_lines v JOIN products p ON p.product_id = v.product_id
WHERE p.is_product AND v.customer_id IS NOT NULL AND (CAST(? AS TIMESTAMP) IS NULL OR v.ordered_at < ?)
"""

PRODUCTS_SQL = """
SELECT product_id, name, category, is_product, in_stock, unit_price
FROM products WHERE is_product ORDER BY product_id
"""


@dataclass
class Interactions:
    """Customer x product matrices plus the product metadata models and rules need."""

    matrix: sp.csr_matrix  # float32, weighted by `weighting`
    counts: sp.csr_matrix  # distinct orders per (customer, product), same sparsity
    last_days: sp.csr_matrix  # days from the last purchase of (customer, product) to `cutoff` (> 0)
    customer_ids: np.ndarray  # object array of str, row order
    product_ids: np.ndarray  # object array of str, column order
    products: pd.DataFrame  # aligned with product_ids
    cutoff: pd.Timestamp
    weighting: str = "binary"
    half_life_days: float = 90.0
    # one row per (customer row, product col, order): row, col, order_id, ordered_at; lets the hybrid replay
    # history at earlier cutoffs exactly (None when built without lines, e.g. a loaded model)
    events: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    _cust_pos: dict[str, int] | None = field(default=None, repr=False, compare=False)
    _prod_pos: dict[str, int] | None = field(default=None, repr=False, compare=False)

    @property
    def n_customers(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_products(self) -> int:
        return int(self.matrix.shape[1])

    def customer_index(self, customer_id: Any) -> int | None:
        """Row of a customer id, or None when the customer has no history before the cutoff."""
        if self._cust_pos is None:
            self._cust_pos = {str(c): i for i, c in enumerate(self.customer_ids)}
        return self._cust_pos.get(str(customer_id))

    def product_index(self, product_id: Any) -> int | None:
        """Column of a product id, or None when it is not a known real product."""
        if self._prod_pos is None:
            self._prod_pos = {str(p): i for i, p in enumerate(self.product_ids)}
        return self._prod_pos.get(str(product_id))

    def product_names(self) -> np.ndarray:
        """Display names aligned with product_ids (the id when a product has no name)."""
        names = self.products["name"].astype(object).to_numpy()
        ids = self.product_ids
        return np.array([n if isinstance(n, str) and n.strip() else str(i) for n, i in zip(names, ids, strict=True)], dtype=object)


def to_timestamp(value: Any, what: str = "cutoff") -> pd.Timestamp | None:
    """Parse a date/time given by a person (CLI, page) or None; bad text -> InputError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{what}: cannot read {value!r} as a date (use YYYY-MM-DD)") from exc
    if ts is pd.NaT or pd.isna(ts):
        raise InputError(f"{what}: cannot read {value!r} as a date (use YYYY-MM-DD)")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(None)
    return ts


def build_interactions(con: Any, until: Any = None, weighting: str = "binary",
                       half_life_days: float = 90.0) -> Interactions:
    """Read valid lines before `until` (all when None) from the warehouse and build the matrices.

    Raises InputError when there is no valid purchase of a real product by a known customer before `until`.
    """
    cutoff = to_timestamp(until, "train until")
    param = None if cutoff is None else cutoff.to_pydatetime()
    lines = con.execute(LINES_SQL, [param, param]).df()
    products = con.execute(PRODUCTS_SQL).df()
    if lines.empty:
        when = f" before {cutoff:%Y-%m-%d %H:%M}" if cutoff is not None else ""
        raise InputError(f"no valid purchases of real products by known customers{when}: nothing to train on")
    if cutoff is None:  # "as of" the day after the last purchase
        cutoff = pd.Timestamp(lines["ordered_at"].max()).normalize() + pd.Timedelta(days=1)
    return from_lines(lines, products, cutoff, weighting=weighting, half_life_days=half_life_days)


def _check_weighting(weighting: str, half_life_days: float) -> None:
    if weighting not in WEIGHTINGS:
        raise InputError(f"unknown weighting {weighting!r}; choose one of: {', '.join(WEIGHTINGS)}")
    if not (half_life_days > 0 and np.isfinite(half_life_days)):
        raise InputError(f"half_life_days must be a positive number, got {half_life_days!r}")


def from_lines(lines: pd.DataFrame, products: pd.DataFrame, cutoff: Any, weighting: str = "binary",
               half_life_days: float = 90.0) -> Interactions:
    """Build Interactions from line rows (customer_id, product_id, order_id, ordered_at) and a products table.

    Lines at or after `cutoff`, without a customer, or for products not in `products` are dropped. Used by
    build_interactions and directly by tests (hand-made cases need no database).
    """
    _check_weighting(weighting, float(half_life_days))
    cutoff = to_timestamp(cutoff)
    if cutoff is None:
        raise InputError("a cutoff date is required")
    products = products.copy()
    if "is_product" in products:
        products = products[products["is_product"].fillna(True).astype(bool)]
    for col, default in (("name", None), ("category", None), ("is_product", True), ("in_stock", True),
                         ("unit_price", np.nan)):
        if col not in products:
            products[col] = default
    products["product_id"] = products["product_id"].astype(str)
    products = products.drop_duplicates("product_id").sort_values("product_id").reset_index(drop=True)
    product_ids = products["product_id"].to_numpy(dtype=object)

    df = lines[["customer_id", "product_id", "order_id", "ordered_at"]].copy()
    df = df[df["customer_id"].notna()]
    df["customer_id"] = df["customer_id"].astype(str)
    df["product_id"] = df["product_id"].astype(str)
    df["ordered_at"] = pd.to_datetime(df["ordered_at"])
    df = df[df["ordered_at"] < cutoff]
    col = pd.Index(product_ids).get_indexer(df["product_id"])
    df = df[col >= 0].assign(col=col[col >= 0])
    # one row per (customer, product, order): its time is the order's first line for that product
    per_order = df.groupby(["customer_id", "col", "order_id"], sort=False, observed=True)["ordered_at"].min()
    per_order = per_order.reset_index()
    age = (cutoff - per_order["ordered_at"]) / pd.Timedelta(days=1)
    per_order["decay"] = np.power(0.5, age.to_numpy(dtype=float) / float(half_life_days))
    cells = per_order.groupby(["customer_id", "col"], sort=True, observed=True).agg(
        n=("order_id", "size"), last=("ordered_at", "max"), decay=("decay", "sum")).reset_index()

    customer_ids = np.array(sorted(cells["customer_id"].unique()), dtype=object)
    rows = pd.Index(customer_ids).get_indexer(cells["customer_id"])
    cols = cells["col"].to_numpy(dtype=np.int64)
    n = cells["n"].to_numpy(dtype=np.float64)
    weights = {"binary": np.ones_like(n), "count": n, "log": np.log1p(n),
               "recency": cells["decay"].to_numpy(dtype=np.float64)}[weighting]
    last = ((cutoff - cells["last"]) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64)
    shape = (len(customer_ids), len(product_ids))

    def csr(values: np.ndarray) -> sp.csr_matrix:
        m = sp.csr_matrix((values.astype(np.float32), (rows, cols)), shape=shape)
        m.sort_indices()
        return m

    products = _product_stats(products, per_order, cells, len(product_ids))
    events = pd.DataFrame({
        "row": pd.Index(customer_ids).get_indexer(per_order["customer_id"]).astype(np.int64),
        "col": per_order["col"].to_numpy(dtype=np.int64),
        "order_id": per_order["order_id"].astype(str).to_numpy(dtype=object),
        "ordered_at": per_order["ordered_at"].to_numpy(),
    })
    return Interactions(matrix=csr(weights), counts=csr(n), last_days=csr(np.maximum(last, MIN_DAYS)),
                        customer_ids=customer_ids, product_ids=product_ids, products=products, cutoff=cutoff,
                        weighting=weighting, half_life_days=float(half_life_days), events=events)


def _product_stats(products: pd.DataFrame, per_order: pd.DataFrame, cells: pd.DataFrame,
                   n_products: int) -> pd.DataFrame:
    """Add buyers (distinct customers) and repurchase_days (median gap in days between consecutive distinct
    order days of the same customer and product, over all customers; NaN when nobody bought it twice)."""
    buyers = np.bincount(cells["col"].to_numpy(dtype=np.int64), minlength=n_products)
    days = per_order.assign(day=per_order["ordered_at"].dt.normalize())[["customer_id", "col", "day"]]
    days = days.drop_duplicates().sort_values(["customer_id", "col", "day"])
    same = (days["customer_id"].to_numpy() == np.roll(days["customer_id"].to_numpy(), 1)) & (
        days["col"].to_numpy() == np.roll(days["col"].to_numpy(), 1))
    gaps = (days["day"].diff() / pd.Timedelta(days=1)).to_numpy(dtype=float)
    keep = same & np.isfinite(gaps)
    if len(keep):
        keep[0] = False
    median = pd.Series(gaps[keep]).groupby(days["col"].to_numpy()[keep]).median()
    cycle = np.full(n_products, np.nan)
    cycle[median.index.to_numpy(dtype=np.int64)] = median.to_numpy()
    out = products.copy()
    out["buyers"] = buyers.astype(np.int64)
    out["repurchase_days"] = cycle
    return out
