"""Write the demo shop into the warehouse: batch by batch, in one transaction, with one imports row."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from recs.db import refresh_derived
from recs.demo.batch import Batch, generate_batch
from recs.demo.catalogue import Catalogue, build_catalogue
from recs.demo.experiment import (
    ASSIGN_DAYS,
    EXPERIMENT_ID,
    EXPERIMENT_START,
    PLANTED_CONVERSION_LIFT_PP,
    WINDOW_DAYS,
)
from recs.demo.orders import PRICE_RISE_2025
from recs.demo.timeline import END, START
from recs.errors import InputError

GENERATOR_VERSION = 1
BATCH_CUSTOMERS = 20_000
LINES_PER_CUSTOMER = 23.5  # measured average, used to turn --lines into a customer count
MAX_CUSTOMERS = 5_000_000

Progress = Callable[[float, str], None]

_INSERT_LINES = """
INSERT INTO order_lines
SELECT 'O' || lpad(CAST(order_num + $order_offset AS VARCHAR), $order_width, '0'), line_no,
       'C' || lpad(CAST(cust_num AS VARCHAR), $cust_width, '0'), CAST(ordered_at AS TIMESTAMP),
       CAST(product AS VARCHAR), quantity, unit_price, CAST(status AS VARCHAR), CAST(country AS VARCHAR),
       $import_id
FROM demo_batch_lines
"""
_INSERT_ASSIGNMENTS = """
INSERT INTO assignments
SELECT $experiment, 'C' || lpad(CAST(cust_num AS VARCHAR), $cust_width, '0'), variant,
       CAST(assigned_at AS TIMESTAMP), $import_id
FROM demo_batch_assignments
"""


def customers_for_lines(lines: int) -> int:
    """How many customers make a shop of about `lines` order lines."""
    return max(1, int(round(lines / LINES_PER_CUSTOMER)))


def _check_count(name: str, value: int | None, upper: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a whole number of at least 1 (got {value!r})")
    if value > upper:
        raise InputError(f"{name} must be at most {upper:,} (got {value:,})")


def _products_table(cat: Catalogue) -> pa.Table:
    return pa.table({
        "product_id": cat.product_id,
        "name": cat.name,
        "category": cat.category,
        "is_product": cat.is_product,
        "in_stock": cat.in_stock,
        "unit_price": (cat.price * np.where(cat.is_product, PRICE_RISE_2025, 1.0)).round(2),  # current list price
    })


def _iso(seconds: int) -> str:
    return (datetime(2024, 1, 1) + timedelta(seconds=seconds)).isoformat(sep=" ")


def generate_demo(con, *, customers: int = 5000, seed: int = 42, lines: int | None = None,
                  progress: Progress | None = None) -> dict:
    """Replace the warehouse's orders, products and assignments with the synthetic demo shop.

    Deterministic: the same (customers, seed) always give the same rows. With `lines`, the customer
    count is chosen so the shop has about that many order lines. Streams batches of BATCH_CUSTOMERS
    customers into DuckDB inside one transaction, so a failure leaves the database as it was.
    Returns a summary (also stored as the import report).
    """
    _check_count("lines", lines, MAX_CUSTOMERS * int(LINES_PER_CUSTOMER))
    if lines is not None:
        customers = customers_for_lines(lines)
    _check_count("customers", customers, MAX_CUSTOMERS)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a whole number >= 0 (got {seed!r})")

    cat = build_catalogue()
    t0 = time.perf_counter()
    started = datetime.now(UTC).replace(tzinfo=None)
    params = {"generator": GENERATOR_VERSION, "seed": seed, "customers": customers}
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
    n_batches = math.ceil(customers / BATCH_CUSTOMERS)
    cust_width = max(5, len(str(customers)))
    order_width = max(7, len(str(customers * 12)))
    totals: dict[str, float] = {}
    first_ts, last_ts = None, None

    con.execute("BEGIN TRANSACTION")
    try:
        import_id = int(con.execute("SELECT nextval('import_id_seq')").fetchone()[0])
        for table in ("order_lines", "products", "assignments"):  # fixed names, not user text
            con.execute(f"DELETE FROM {table}")
        products = _products_table(cat)
        con.register("demo_products", products)
        con.execute("INSERT INTO products SELECT * FROM demo_products")
        con.unregister("demo_products")
        order_offset = 0

        def make(b: int) -> Batch:
            offset = b * BATCH_CUSTOMERS
            return generate_batch(seed, b, min(BATCH_CUSTOMERS, customers - offset), offset, cat)

        # Generate batch b+1 (numpy, one core) while DuckDB inserts batch b.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(make, 0)
            for b in range(n_batches):
                batch = pending.result()
                if b + 1 < n_batches:
                    pending = pool.submit(make, b + 1)
                _insert_batch(con, batch, order_offset, order_width, cust_width, import_id)
                order_offset += batch.stats["orders"]
                for key, value in batch.stats.items():
                    if key == "first_ts":
                        first_ts = value if first_ts is None else min(first_ts, value)
                    elif key == "last_ts":
                        last_ts = value if last_ts is None else max(last_ts, value)
                    else:
                        totals[key] = totals.get(key, 0) + value
                if progress is not None:
                    done = min((b + 1) * BATCH_CUSTOMERS, customers)
                    progress((b + 1) / n_batches, f"demo shop: {done:,} of {customers:,} customers written")
        if progress is not None:
            progress(1.0, "demo shop: updating the orders table")
        refresh_derived(con)
        summary = _summary(seed, customers, cat, totals, first_ts, last_ts, time.perf_counter() - t0)
        con.execute(
            "INSERT INTO imports (id, kind, file_name, sha256, format, rows_read, rows_kept, rows_rejected,"
            " started_at, finished_at, report) VALUES (?, 'demo', ?, ?, 'demo', ?, ?, 0, ?, ?, ?)",
            [import_id, f"demo:seed={seed},customers={customers}", digest, summary["lines"], summary["lines"],
             started, datetime.now(UTC).replace(tzinfo=None), json.dumps(summary)],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return summary


def _insert_batch(con, batch: Batch, order_offset: int, order_width: int, cust_width: int, import_id: int) -> None:
    con.register("demo_batch_lines", batch.lines)
    try:
        con.execute(_INSERT_LINES, {"order_offset": order_offset, "order_width": order_width,
                                    "cust_width": cust_width, "import_id": import_id})
    finally:
        con.unregister("demo_batch_lines")
    con.register("demo_batch_assignments", batch.assignments)
    try:
        con.execute(_INSERT_ASSIGNMENTS, {"experiment": EXPERIMENT_ID, "cust_width": cust_width,
                                          "import_id": import_id})
    finally:
        con.unregister("demo_batch_assignments")


def _summary(seed: int, customers: int, cat: Catalogue, totals: dict, first_ts: int, last_ts: int, seconds: float) -> dict:
    treated = int(totals["treated"])
    control = int(totals["assigned"] - treated)
    return {
        "seed": seed,
        "customers": customers,
        "buyers": int(totals["buyers"]),
        "repeat_customers": int(totals["repeat_customers"]),
        "repurchase_rate": round(totals["repeat_customers"] / max(totals["buyers"], 1), 4),
        "orders": int(totals["orders"]),
        "valid_orders": int(totals["valid_orders"]),
        "guest_orders": int(totals["guest_orders"]),
        "lines": int(totals["lines"]),
        "cancelled_lines": int(totals["cancelled_lines"]),
        "returned_lines": int(totals["returned_lines"]),
        "products": cat.n,
        "categories": len(set(cat.category)),
        "calendar": [str(START), str(END - 1)],
        "first_order_at": _iso(first_ts),
        "last_order_at": _iso(last_ts),
        "experiment": {
            "experiment_id": EXPERIMENT_ID,
            "start": str(EXPERIMENT_START),
            "assign_days": ASSIGN_DAYS,
            "window_days": WINDOW_DAYS,
            "assigned": int(totals["assigned"]),
            "control": control,
            "treatment": treated,
            "planted_conversion_lift_pp": PLANTED_CONVERSION_LIFT_PP,
            "persuaded": int(totals["persuaded"]),
            "control_conversion": round(totals["control_converted"] / max(control, 1), 4),
            "treatment_conversion_without_email": round(totals["treated_converted_without"] / max(treated, 1), 4),
            "planted_revenue_per_treated_customer": round(totals["persuaded_revenue"] / max(treated, 1), 4),
        },
        "seconds": round(seconds, 2),
    }
