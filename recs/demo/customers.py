"""Demo customers: taste segment, repurchase propensity, staples, devices, basket size, country.

Every attribute is drawn for a whole batch at once with numpy; nothing loops over customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recs.demo.catalogue import DEVICE_SHARE, SEGMENTS, Catalogue, draw_from
from recs.demo.timeline import N_DAYS

# Propensity classes: (share, gap multiplier range on the main staple's cycle, mean lifetime in days).
ONE_TIME, OCCASIONAL, REGULAR, LOYAL = 0, 1, 2, 3
KIND_SHARES = np.array([0.40, 0.31, 0.21, 0.08])
MEAN_LIFETIME = np.array([0.0, 240.0, 540.0, np.inf])
N_STAPLES = 4

COUNTRIES = ["United Kingdom", "Ireland", "France", "Germany", "Netherlands", "Spain", "Belgium", "Sweden",
             "Denmark"]
COUNTRY_SHARES = np.array([0.88, 0.03, 0.02, 0.02, 0.015, 0.01, 0.01, 0.008, 0.007])


@dataclass
class Customers:
    """One row per customer of a batch (guests are customers with `guest` set and one order)."""

    guest: np.ndarray
    segment: np.ndarray
    segment2: np.ndarray  # a second taste that drives a quarter of their free choices
    kind: np.ndarray
    first_op: np.ndarray  # first order, in operational days
    end_op: np.ndarray  # they stop ordering after this (churn), in operational days
    gap: np.ndarray  # mean days between orders
    staples: np.ndarray  # (n, N_STAPLES) consumable product indices they re-buy
    n_staples: np.ndarray
    device: np.ndarray  # device product index bought in the first order, or -1
    basket: np.ndarray  # mean number of free-choice lines per order
    country: np.ndarray  # index into COUNTRIES

    def __len__(self) -> int:
        return len(self.guest)


def draw_customers(rng: np.random.Generator, n: int, n_guests: int, cat: Catalogue) -> Customers:
    """Draw `n` registered customers (sorted by first order) followed by `n_guests` guests."""
    total = n + n_guests
    guest = np.arange(total) >= n
    seg_p = np.array([s[1] for s in SEGMENTS])
    seg_p = seg_p / seg_p.sum()
    segment = rng.choice(len(SEGMENTS), size=total, p=seg_p)
    segment2 = rng.choice(len(SEGMENTS), size=total, p=seg_p)
    kind = np.where(guest, ONE_TIME, rng.choice(4, size=total, p=KIND_SHARES))
    # Acquisition grows over the two years: density of the first order rises with time.
    first_op = N_DAYS * rng.random(total) ** 0.9
    first_op[:n] = np.sort(first_op[:n])  # registered ids then follow sign-up order

    staples = draw_from(cat.seg_staple_cdf, np.repeat(segment, N_STAPLES), rng).reshape(total, N_STAPLES)
    device = np.full(total, -1)
    for s, rows in enumerate(cat.seg_devices):
        if not rows:
            continue
        mine = np.flatnonzero((segment == s) & (rng.random(total) < DEVICE_SHARE))
        pick = np.asarray(rows)[rng.integers(0, len(rows), len(mine))]
        device[mine] = cat.device_product[pick]
        staples[mine, :2] = cat.device_staples[pick]
    n_staples = np.where(device >= 0, 2, 1) + rng.binomial(2, 0.4, total)

    main_cycle = cat.cycle[staples[:, 0]]
    multiplier = np.select(
        [kind == OCCASIONAL, kind == REGULAR, kind == LOYAL],
        [rng.uniform(1.6, 3.5, total), rng.lognormal(0.0, 0.2, total), rng.lognormal(-0.1, 0.15, total)],
        default=1.0,
    )
    lifetime = rng.exponential(1.0, total) * MEAN_LIFETIME[kind]
    lifetime = np.where(kind == ONE_TIME, 0.0, lifetime)
    basket = rng.gamma(2.0, 0.7, total)
    country = rng.choice(len(COUNTRIES), size=total, p=COUNTRY_SHARES / COUNTRY_SHARES.sum())
    return Customers(
        guest=guest, segment=segment, segment2=segment2, kind=kind, first_op=first_op,
        end_op=first_op + lifetime, gap=main_cycle * multiplier, staples=staples, n_staples=n_staples,
        device=device, basket=basket, country=country,
    )
