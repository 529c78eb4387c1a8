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

from recs import sql
from recs.errors import InputError

WEIGHTINGS = ("binary", "count", "log", "recency")
MIN_DAYS = 1.0 / 1440.0  # last_days is stored sparse, so it must stay > 0: one minute at least

LINES_SQL = sql.load("interactions/lines")

EVENTS_SQL = sql.load("interactions/events")  # one statement: one snapshot of the warehouse (see the file)

PRODUCTS_SQL = sql.load("interactions/products")


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

    DuckDB does the grouping of lines into (customer, product, order) purchases and numbers rows and columns;
    Python only receives those purchases as arrays (no per-line strings), which keeps 10 M lines to seconds and
    a few hundred MB. The result is the one `from_lines` builds from the same lines.
    Raises InputError when there is no valid purchase of a real product by a known customer before `until`.
    """
    _check_weighting(weighting, float(half_life_days))
    cutoff = to_timestamp(until, "train until")
    param = None if cutoff is None else cutoff.to_pydatetime()
    sql.run(con, "db/finish_pending").fetchall()  # finish a result the caller left open (DuckDB refuses con.sql meanwhile)
    table = con.sql(EVENTS_SQL, params=[param] * 4).to_arrow_table()  # relational API: no extra Arrow copy
    kind = table.column("kind").to_numpy()
    n_events, n_rows = int(np.searchsorted(kind, 1)), int(np.searchsorted(kind, 2))
    events, customers = table.slice(0, n_events), table.slice(n_events, n_rows - n_events)
    if customers.num_rows == 0:
        when = f" before {cutoff:%Y-%m-%d %H:%M}" if cutoff is not None else ""
        raise InputError(f"no valid purchases of real products by known customers{when}: nothing to train on")
    sql_products = table.slice(n_rows).column("id").to_numpy(zero_copy_only=False).astype(object)  # by column
    products = _clean_products(con.execute(PRODUCTS_SQL).df())
    if cutoff is None:  # "as of" the day after the last purchase
        cutoff = pd.Timestamp(customers.column("ordered_at").to_numpy().max()).normalize() + pd.Timedelta(days=1)
    product_ids = products["product_id"].to_numpy(dtype=object)
    customer_ids = customers.column("id").to_numpy(zero_copy_only=False).astype(object)
    rows = events.column("row").to_numpy().astype(np.int64, copy=False)
    cols = events.column("col").to_numpy().astype(np.int64, copy=False)
    order_ids, times = events.column("id").to_pandas(), events.column("ordered_at").to_numpy()
    # DuckDB numbered ids in its own string order; use Python's (the order from_lines gives) if it ever differs
    py_order = np.array(sorted(customer_ids.tolist()), dtype=object)
    if not np.array_equal(py_order, customer_ids):
        rows = pd.Index(py_order).get_indexer(customer_ids)[rows]
        customer_ids = py_order
    if not np.array_equal(sql_products, product_ids):  # other collation, or the catalogue changed since
        cols = pd.Index(product_ids).get_indexer(sql_products)[cols]
        known = cols >= 0
        rows, cols, order_ids, times = rows[known], cols[known], order_ids[known], times[known]
    return _assemble(rows, cols, order_ids, times, customer_ids, products, cutoff, weighting, float(half_life_days))


def _check_weighting(weighting: str, half_life_days: float) -> None:
    if weighting not in WEIGHTINGS:
        raise InputError(f"unknown weighting {weighting!r}; choose one of: {', '.join(WEIGHTINGS)}")
    if not (half_life_days > 0 and np.isfinite(half_life_days)):
        raise InputError(f"half_life_days must be a positive number, got {half_life_days!r}")


def _clean_products(products: pd.DataFrame) -> pd.DataFrame:
    """Real products only, one row per id, sorted by id, with every column rules and models read."""
    products = products.copy()
    if "is_product" in products:
        products = products[products["is_product"].fillna(True).astype(bool)]
    for col, default in (("name", None), ("category", None), ("is_product", True), ("in_stock", True),
                         ("unit_price", np.nan)):
        if col not in products:
            products[col] = default
    products["product_id"] = products["product_id"].astype(str)
    return products.drop_duplicates("product_id").sort_values("product_id").reset_index(drop=True)


def from_lines(lines: pd.DataFrame, products: pd.DataFrame, cutoff: Any, weighting: str = "binary",
               half_life_days: float = 90.0) -> Interactions:
    """Build Interactions from line rows (customer_id, product_id, order_id, ordered_at) and a products table.

    Lines at or after `cutoff`, without a customer, or for products not in `products` are dropped. Used by the
    evaluation and the hybrid (lines already in memory) and directly by tests (hand-made cases need no database);
    build_interactions gives the same result from the warehouse.
    """
    _check_weighting(weighting, float(half_life_days))
    cutoff = to_timestamp(cutoff)
    if cutoff is None:
        raise InputError("a cutoff date is required")
    products = _clean_products(products)
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
    customer_ids = np.array(sorted(per_order["customer_id"].unique()), dtype=object)
    rows = pd.Index(customer_ids).get_indexer(per_order["customer_id"]).astype(np.int64)
    cols = per_order["col"].to_numpy(dtype=np.int64)
    order_ids = per_order["order_id"].astype(str)
    times = per_order["ordered_at"]
    ticks = times.to_numpy().view(np.int64) if len(times) else np.zeros(0, np.int64)
    order = np.lexsort((ticks, cols, rows))  # cells as runs, each run in time order (as in build_interactions)
    return _assemble(rows[order], cols[order], order_ids.iloc[order], times.iloc[order], customer_ids, products,
                     cutoff, weighting, float(half_life_days))


def _assemble(rows: np.ndarray, cols: np.ndarray, order_ids: pd.Series, times: pd.Series, customer_ids: np.ndarray,
              products: pd.DataFrame, cutoff: pd.Timestamp, weighting: str, half_life_days: float) -> Interactions:
    """Interactions from per-(customer row, product column, order) purchases sorted by (row, col, time)."""
    product_ids = products["product_id"].to_numpy(dtype=object)
    times = pd.Series(pd.to_datetime(np.asarray(times)))
    n_events = len(rows)
    new_cell = np.ones(n_events, dtype=bool)
    if n_events:
        new_cell[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    starts = np.flatnonzero(new_cell)
    cell_of = np.cumsum(new_cell) - 1  # cell number of each purchase
    n = np.diff(np.append(starts, n_events)).astype(np.float64)
    ticks = times.to_numpy()
    last_at = pd.Series(np.maximum.reduceat(ticks, starts) if n_events else ticks[:0])
    cell_rows, cell_cols = rows[starts], cols[starts]
    if weighting == "recency":  # sum over the cell's orders of 0.5 ** (age in days / half-life)
        age = ((cutoff - times) / pd.Timedelta(days=1)).to_numpy(dtype=float)
        weights = pd.Series(np.power(0.5, age / half_life_days)).groupby(cell_of, sort=True).sum().to_numpy()
        del age
    else:
        weights = {"binary": np.ones_like(n), "count": n, "log": np.log1p(n)}[weighting]
    del cell_of
    last = ((cutoff - last_at) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64)
    shape = (len(customer_ids), len(product_ids))

    def csr(values: np.ndarray) -> sp.csr_matrix:
        m = sp.csr_matrix((values.astype(np.float32), (cell_rows, cell_cols)), shape=shape)
        m.sort_indices()
        return m

    products = _product_stats(products, rows, cols, times, new_cell, cell_cols)
    events = pd.DataFrame({"row": np.asarray(rows, dtype=np.int64), "col": np.asarray(cols, dtype=np.int64),
                           "order_id": pd.Series(order_ids).reset_index(drop=True).astype(str).array,
                           "ordered_at": ticks})
    return Interactions(matrix=csr(weights), counts=csr(n), last_days=csr(np.maximum(last, MIN_DAYS)),
                        customer_ids=customer_ids, product_ids=product_ids, products=products, cutoff=cutoff,
                        weighting=weighting, half_life_days=half_life_days, events=events)


def _product_stats(products: pd.DataFrame, rows: np.ndarray, cols: np.ndarray, times: pd.Series,
                   new_cell: np.ndarray, cell_cols: np.ndarray) -> pd.DataFrame:
    """Add buyers (distinct customers) and repurchase_days (median gap in days between consecutive distinct
    order days of the same customer and product, over all customers; NaN when nobody bought it twice).
    Purchases come sorted by (row, col, time), so a cell's days are in order."""
    n_products = len(products)
    buyers = np.bincount(cell_cols, minlength=n_products)
    day = times.dt.normalize()
    gaps = (day.diff() / pd.Timedelta(days=1)).to_numpy(dtype=float)
    keep = ~new_cell & (gaps > 0)  # same cell as the purchase before, on a later day
    median = pd.Series(gaps[keep]).groupby(cols[keep]).median()
    cycle = np.full(n_products, np.nan)
    cycle[median.index.to_numpy(dtype=np.int64)] = median.to_numpy()
    out = products.copy()
    out["buyers"] = buyers.astype(np.int64)
    out["repurchase_days"] = cycle
    return out
