"""Demo orders and their lines, vectorised over a batch of customers.

Order times: a renewal process per customer in operational time (see timeline.py), with gamma gaps
around the customer's mean gap, from the first order until churn or the calendar's end.
Lines: the customer's staples when due, free choices from their taste segments, bundle
complements, the device in the first order, seasonal gifts, postage and gift wrap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recs.demo.catalogue import COMPLEMENT_PROB, Catalogue, draw_from
from recs.demo.customers import N_STAPLES, Customers
from recs.demo.timeline import DAY, N_DAYS, is_xmas_season, timestamps, to_calendar, year_of

GAP_SHAPE = 5.0  # gamma shape of the gaps between orders (coefficient of variation ~0.45)
MAIN_STAPLE_PROB = 0.85
FREE_SHIPPING_FROM = 40.0
PROMO_SHARE, PROMO_DISCOUNT, PRICE_RISE_2025 = 0.07, 0.85, 1.04
CANCEL_SHARE, RETURN_SHARE = 0.02, 0.015
COMPLETED, CANCELLED, RETURNED = 0, 1, 2
# Line kinds, also the order of lines within an order.
K_STAPLE, K_FREE, K_FEE = 0, 1, 2


@dataclass
class Lines:
    """Order lines of a batch; `order` indexes the batch's orders."""

    order: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    price: np.ndarray
    status: np.ndarray
    kind: np.ndarray

    def take(self, idx: np.ndarray) -> Lines:
        return Lines(*(getattr(self, f)[idx] for f in ("order", "product", "quantity", "price", "status", "kind")))


def order_times(rng: np.random.Generator, cust: Customers) -> tuple[np.ndarray, np.ndarray]:
    """(customer index, seconds since START) of every order, the first order of each customer first."""
    who, when = [np.arange(len(cust))], [cust.first_op]
    active = np.flatnonzero(cust.kind > 0)
    t = cust.first_op[active].copy()
    while len(active):
        t = t + rng.gamma(GAP_SHAPE, cust.gap[active] / GAP_SHAPE)
        keep = (t < cust.end_op[active]) & (t < N_DAYS)
        active, t = active[keep], t[keep]
        who.append(active)
        when.append(t)
    cust_idx = np.concatenate(who)
    seconds = timestamps(to_calendar(np.concatenate(when)), rng)
    return cust_idx, seconds


def _free_choices(rng: np.random.Generator, cust: Customers, cat: Catalogue, order_cust: np.ndarray,
                  n_free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    orders = np.repeat(np.arange(len(order_cust)), n_free)
    c = order_cust[orders]
    seg = np.where(rng.random(len(c)) < 0.25, cust.segment2[c], cust.segment[c])
    return orders, draw_from(cat.seg_cdf, seg, rng)


def make_lines(rng: np.random.Generator, cust: Customers, cat: Catalogue, order_cust: np.ndarray,
               order_ts: np.ndarray, first: np.ndarray, allow_problems: bool = True) -> Lines:
    """Lines for the given orders. `first` marks each customer's first order (it carries the device)."""
    n_orders = len(order_cust)
    # Staples: the main one almost always, the others about once per their own cycle.
    staples = cust.staples[order_cust]
    gap = cust.gap[order_cust][:, None]
    prob = np.minimum(0.9, 0.9 * gap / np.maximum(cat.cycle[staples], 1.0))
    prob[:, 0] = MAIN_STAPLE_PROB
    take = (rng.random(staples.shape) < prob) & (np.arange(N_STAPLES) < cust.n_staples[order_cust][:, None])
    st_order, st_slot = np.nonzero(take)
    st_product = staples[st_order, st_slot]
    # Free choices from the taste segments; at least one line per order.
    n_free = rng.poisson(cust.basket[order_cust])
    n_free = np.where((n_free == 0) & (take.sum(axis=1) == 0), 1, n_free)
    fr_order, fr_product = _free_choices(rng, cust, cat, order_cust, n_free)
    xmas = is_xmas_season(order_ts)
    fr_product = np.where(cat.seasonal[fr_product] & ~xmas[fr_order], cat.substitute[fr_product], fr_product)
    # A seasonal gift in a third of the November/December orders.
    gift_order = np.flatnonzero(xmas & (rng.random(n_orders) < 0.3))
    seasonal_ids = np.flatnonzero(cat.seasonal)
    gift_product = seasonal_ids[rng.integers(0, len(seasonal_ids), len(gift_order))]
    # The device in the first order of its owner.
    dev_order = np.flatnonzero(first & (cust.device[order_cust] >= 0))
    dev_product = cust.device[order_cust[dev_order]]

    order = np.concatenate([st_order, dev_order, fr_order, gift_order])
    product = np.concatenate([st_product, dev_product, fr_product, gift_product])
    kind = np.concatenate([np.full(len(st_order) + len(dev_order), K_STAPLE), np.full(len(fr_order), K_FREE),
                           np.full(len(gift_order), K_FREE)])
    # Bundles: a product with a complement brings it along a third of the time.
    comp = cat.complement[product]
    bring = np.flatnonzero((comp >= 0) & (rng.random(len(product)) < COMPLEMENT_PROB))
    order = np.concatenate([order, order[bring]])
    product = np.concatenate([product, comp[bring]])
    kind = np.concatenate([kind, np.full(len(bring), K_FREE)])
    # One line per product and order (the first occurrence wins), ordered staples first.
    key = order.astype(np.int64) * cat.n + product
    _, first_pos = np.unique(key, return_index=True)
    keep = first_pos[np.lexsort((product[first_pos], kind[first_pos], order[first_pos]))]
    order, product, kind = order[keep], product[keep], kind[keep]

    # Quantities and prices.
    u = rng.random(len(product))
    cheap = cat.price[product] < 5
    consumable = cat.cycle[product] > 0
    quantity = 1.0 + np.where(consumable, np.where(cheap, (u < 0.25) + (u < 0.08), u < 0.1), 0)
    ts = order_ts[order]
    price = cat.price[product] * np.where(year_of(ts) >= 2025, PRICE_RISE_2025, 1.0)
    price = np.round(price * np.where(rng.random(len(product)) < PROMO_SHARE, PROMO_DISCOUNT, 1.0), 2)

    # Fees: postage under the free-shipping threshold, gift wrap now and then (more at Christmas).
    subtotal = np.bincount(order, weights=quantity * price, minlength=n_orders)
    post_order = np.flatnonzero(subtotal < FREE_SHIPPING_FROM)
    wrap_order = np.flatnonzero(rng.random(n_orders) < np.where(xmas, 0.12, 0.02))
    fee_order = np.concatenate([post_order, wrap_order])
    fee_product = np.concatenate([np.full(len(post_order), cat.postage), np.full(len(wrap_order), cat.giftwrap)])
    order = np.concatenate([order, fee_order])
    product = np.concatenate([product, fee_product])
    quantity = np.concatenate([quantity, np.ones(len(fee_order))])
    price = np.concatenate([price, cat.price[fee_product]])
    kind = np.concatenate([kind, np.full(len(fee_order), K_FEE)])

    # Problems: whole orders cancelled, single product lines returned.
    status = np.full(len(order), COMPLETED, dtype=np.int8)
    if allow_problems:
        cancelled = rng.random(n_orders) < CANCEL_SHARE
        status[cancelled[order]] = CANCELLED
        returned = (status == COMPLETED) & (kind != K_FEE) & (rng.random(len(order)) < RETURN_SHARE)
        status[returned] = RETURNED
    lines = Lines(order, product, quantity, price, status, kind)
    return lines.take(np.lexsort((lines.kind, lines.order)))


def valid_orders(lines: Lines, n_orders: int) -> np.ndarray:
    """Orders with at least one valid line (the `orders` view's definition)."""
    return np.bincount(lines.order, weights=lines.status == COMPLETED, minlength=n_orders) > 0


def window_hits(order_cust: np.ndarray, order_ts: np.ndarray, valid: np.ndarray, n_cust: int,
                start: np.ndarray, days: int) -> np.ndarray:
    """Per customer: True when a valid order falls in [start, start + days) (start per customer, seconds)."""
    s = start[order_cust]
    hit = valid & (order_ts >= s) & (order_ts < s + days * DAY)
    return np.bincount(order_cust, weights=hit, minlength=n_cust) > 0
