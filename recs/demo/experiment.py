"""The demo's A/B experiment "reco-email" and how its lift is planted.

Who: every registered customer whose first valid order came before EXPERIMENT_START (so each has a
pre-period). Split: a fair coin per customer, "treatment" or "control". When: assigned_at is
uniform over the ASSIGN_DAYS days from EXPERIMENT_START.

The plant: the generator first draws every customer's orders as if no e-mail existed (the
counterfactual). Then, among the treated customers with no valid order in [assigned_at,
assigned_at + WINDOW_DAYS), exactly round(PLANTED_CONVERSION_LIFT_PP / 100 x treated customers)
are picked at random and given one extra order ("persuaded" by the e-mail) 1 to 21 days after
assignment. So the treated group's 30-day conversion is exactly PLANTED_CONVERSION_LIFT_PP points
above what it would have been without the e-mail; the measured treatment-minus-control lift equals
that plus pure randomisation noise. The extra orders carry ordinary baskets, which is the planted
revenue lift (reported in the summary, per treated customer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recs.demo.timeline import DAY, START

EXPERIMENT_ID = "reco-email"
VARIANTS = ("control", "treatment")
EXPERIMENT_START = np.datetime64("2025-06-01", "D")
ASSIGN_DAYS = 14
WINDOW_DAYS = 30
PLANTED_CONVERSION_LIFT_PP = 8.0
EXPERIMENT_START_SECONDS = int((EXPERIMENT_START - START).astype(int)) * DAY


@dataclass
class Assignment:
    """Assignments of one batch plus the extra orders that plant the lift."""

    customer: np.ndarray  # batch customer index
    treated: np.ndarray  # bool
    assigned_at: np.ndarray  # seconds since START
    persuaded: np.ndarray  # batch customer indices given an extra order
    persuaded_at: np.ndarray  # seconds since START of those orders
    control_converted: int  # control customers with a (counterfactual = actual) order in the window
    treated_converted_without: int  # treated customers converting without the e-mail


def assign(rng: np.random.Generator, first_ts: np.ndarray, registered: np.ndarray,
           converted_fn) -> Assignment:
    """Assign eligible customers and choose whom the e-mail persuades.

    `first_ts` is each customer's first valid order time; `converted_fn(start_per_customer)` says who has a
    valid order in the WINDOW_DAYS days from their start (customers not in the experiment get no start).
    """
    n = len(first_ts)
    eligible = np.flatnonzero(registered & (first_ts < EXPERIMENT_START_SECONDS))
    treated = rng.random(len(eligible)) < 0.5
    assigned_at = EXPERIMENT_START_SECONDS + rng.integers(0, ASSIGN_DAYS * DAY, len(eligible))
    start = np.full(n, -(10**12), dtype=np.int64)
    start[eligible] = assigned_at
    converted = converted_fn(start)[eligible]
    candidates = eligible[treated & ~converted]
    k = min(len(candidates), int(round(PLANTED_CONVERSION_LIFT_PP / 100 * treated.sum())))
    chosen = np.sort(rng.choice(candidates, size=k, replace=False)) if k else np.empty(0, dtype=np.int64)
    persuaded_at = start[chosen] + rng.integers(DAY, 21 * DAY, len(chosen))
    return Assignment(
        customer=eligible, treated=treated, assigned_at=assigned_at, persuaded=chosen, persuaded_at=persuaded_at,
        control_converted=int((~treated & converted).sum()), treated_converted_without=int((treated & converted).sum()),
    )
