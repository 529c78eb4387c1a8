"""One batch of the demo shop: customers, their orders and lines, the experiment, as Arrow tables.

A batch depends only on (seed, batch number, customers in the batch, customer id offset), so the same
parameters always give the same rows, whatever else the machine is doing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from recs.demo.catalogue import Catalogue
from recs.demo.customers import COUNTRIES, draw_customers
from recs.demo.experiment import VARIANTS, WINDOW_DAYS, assign
from recs.demo.orders import COMPLETED, make_lines, order_times, valid_orders, window_hits
from recs.demo.timeline import START

GUESTS_PER_CUSTOMER = 0.40  # guest one-off orders per registered customer: ~7% of orders
START_S = START.astype("datetime64[s]")


@dataclass
class Batch:
    lines: pa.Table
    assignments: pa.Table
    stats: dict


def _timestamps(seconds: np.ndarray) -> np.ndarray:
    return START_S + seconds.astype("timedelta64[s]")


def generate_batch(seed: int, batch_no: int, n_customers: int, customer_offset: int, cat: Catalogue) -> Batch:
    """Generate `n_customers` registered customers (ids from customer_offset + 1) and their guests.

    Order numbers start at 1 within the batch; the writer adds the orders of earlier batches.
    """
    rng = np.random.default_rng([seed, batch_no])
    n_guests = int(round(n_customers * GUESTS_PER_CUSTOMER))
    cust = draw_customers(rng, n_customers, n_guests, cat)
    n_cust = len(cust)
    order_cust, order_ts = order_times(rng, cust)
    first = np.arange(len(order_cust)) < n_cust  # the first round holds every customer's first order
    lines = make_lines(rng, cust, cat, order_cust, order_ts, first)
    valid = valid_orders(lines, len(order_cust))

    def converted(start: np.ndarray) -> np.ndarray:
        return window_hits(order_cust, order_ts, valid, n_cust, start, WINDOW_DAYS)

    # "Active" customers: a valid (not cancelled, not wholly returned) order before the experiment.
    first_valid = np.full(n_cust, np.iinfo(np.int64).max)
    np.minimum.at(first_valid, order_cust[valid], order_ts[valid])
    exp = assign(rng, first_valid, ~cust.guest, converted)
    extra = make_lines(rng, cust, cat, exp.persuaded, exp.persuaded_at, np.zeros(len(exp.persuaded), bool),
                       allow_problems=False)
    persuaded_revenue = float((extra.quantity * extra.price).sum())
    extra.order = extra.order + len(order_cust)
    all_cust = np.concatenate([order_cust, exp.persuaded])
    all_ts = np.concatenate([order_ts, exp.persuaded_at])
    all_valid = np.concatenate([valid, np.ones(len(exp.persuaded), bool)])
    n_orders = len(all_cust)

    # Order ids follow time within the batch.
    rank = np.empty(n_orders, dtype=np.int64)
    rank[np.lexsort((all_cust, all_ts))] = np.arange(n_orders)
    order = np.concatenate([lines.order, extra.order])
    sort = np.argsort(rank[order], kind="stable")
    order = order[sort]
    order_num = rank[order] + 1
    starts = np.flatnonzero(np.r_[True, order_num[1:] != order_num[:-1]])
    line_no = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)])) + 1
    product = np.concatenate([lines.product, extra.product])[sort]
    quantity = np.concatenate([lines.quantity, extra.quantity])[sort]
    price = np.concatenate([lines.price, extra.price])[sort]
    status = np.concatenate([lines.status, extra.status])[sort]
    c = all_cust[order]
    guest = cust.guest[c]
    cust_num = np.where(guest, 0, c + customer_offset + 1)

    table = pa.table({
        "order_num": order_num,
        "line_no": line_no.astype(np.int32),
        "cust_num": pa.array(cust_num, mask=guest),
        "ordered_at": _timestamps(all_ts[order]),
        "product": pa.DictionaryArray.from_arrays(pa.array(product.astype(np.int32)), pa.array(cat.product_id)),
        "quantity": quantity,
        "unit_price": price,
        "status": pa.DictionaryArray.from_arrays(pa.array(status.astype(np.int32)),
                                                 pa.array(["completed", "cancelled", "returned"])),
        "country": pa.DictionaryArray.from_arrays(pa.array(cust.country[c].astype(np.int32)), pa.array(COUNTRIES)),
    })
    assignments = pa.table({
        "cust_num": exp.customer + customer_offset + 1,
        "variant": pa.array(np.where(exp.treated, VARIANTS[1], VARIANTS[0])),
        "assigned_at": _timestamps(exp.assigned_at),
    })

    valid_per_cust = np.bincount(all_cust, weights=all_valid, minlength=n_cust)
    stats = {
        "orders": n_orders,
        "valid_orders": int(all_valid.sum()),
        "guest_orders": int(guest[starts].sum()),
        "cancelled_lines": int((status == 1).sum()),
        "returned_lines": int((status == 2).sum()),
        "completed_lines": int((status == COMPLETED).sum()),
        "buyers": int((valid_per_cust[:n_customers] >= 1).sum()),
        "repeat_customers": int((valid_per_cust[:n_customers] >= 2).sum()),
        "lines": len(order),
        "first_ts": int(all_ts.min()),
        "last_ts": int(all_ts.max()),
        "assigned": len(exp.customer),
        "treated": int(exp.treated.sum()),
        "persuaded": len(exp.persuaded),
        "persuaded_revenue": persuaded_revenue,
        "control_converted": exp.control_converted,
        "treated_converted_without": exp.treated_converted_without,
    }
    return Batch(table, assignments, stats)
