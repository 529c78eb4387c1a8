"""The demo's fixed calendar and its seasonality, as a time warp.

Customers live in "operational time": a clock that runs faster on busy days. A renewal process
with steady gaps in operational time becomes, in calendar time, denser on Mondays and Sundays and
in the November/December peak and thinner in August and over Christmas. Operational time is
normalised so that it has the same length as the calendar (731 days), so cycles keep their size on
average.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

START = np.datetime64("2024-01-01", "D")
END = np.datetime64("2026-01-01", "D")  # exclusive: data covers 2024-01-01 .. 2025-12-31
N_DAYS = int((END - START).astype(int))
START_SECONDS = int(START.astype("datetime64[s]").astype(np.int64))
DAY = 86_400

WEEKDAY_FACTOR = np.array([1.15, 1.05, 1.0, 1.0, 0.9, 0.85, 1.05])  # Monday .. Sunday
# Hour-of-day shares: quiet nights, a lunchtime bump, an evening peak.
HOUR_WEIGHTS = np.array([1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.8, 2.5, 3, 3.2, 3.5,
                         4.2, 4, 3.4, 3.2, 3.3, 3.6, 4.2, 5, 5.2, 4.6, 3.2, 1.8])


def _day_factor(days: np.ndarray) -> np.ndarray:
    """Relative order intensity of each calendar day (1.0 = an ordinary day)."""
    dates = START + days
    month = dates.astype("datetime64[M]").astype(int) % 12 + 1
    day_of_month = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    weekday = (dates.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    yearly = np.select(
        [month == 1, month == 2, (month == 7) | (month == 8), month == 11,
         (month == 12) & (day_of_month <= 20), (month == 12) & (day_of_month <= 26), month == 12],
        [0.85, 0.9, 0.85, 1.45, 1.7, 0.6, 0.95],
        default=1.0,
    )
    black_friday = (month == 11) & (day_of_month >= 24) & (day_of_month <= 30)
    return yearly * np.where(black_friday, 1.5, 1.0) * WEEKDAY_FACTOR[weekday]


@lru_cache(maxsize=1)
def warp() -> tuple[np.ndarray, np.ndarray]:
    """(knots in operational time, knots in calendar days): cumulative intensity at each midnight."""
    factor = _day_factor(np.arange(N_DAYS))
    factor = factor * (N_DAYS / factor.sum())
    op = np.concatenate([[0.0], np.cumsum(factor)])
    return op, np.arange(N_DAYS + 1, dtype=float)


def to_calendar(op_time: np.ndarray) -> np.ndarray:
    """Calendar day (float, days since START) for each operational time."""
    op, cal = warp()
    return np.interp(op_time, op, cal)


def timestamps(cal_days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Seconds since START: the calendar day of each event plus a realistic time of day."""
    hours = rng.choice(24, size=len(cal_days), p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    seconds = hours * 3600 + rng.integers(0, 3600, len(cal_days))
    day = np.clip(np.floor(cal_days), 0, N_DAYS - 1).astype(np.int64)
    return day * DAY + seconds


def is_xmas_season(seconds: np.ndarray) -> np.ndarray:
    """True for timestamps in November or December (when seasonal products are on sale)."""
    dates = (START + (seconds // DAY).astype("timedelta64[D]")).astype("datetime64[M]")
    return dates.astype(int) % 12 + 1 >= 11


def year_of(seconds: np.ndarray) -> np.ndarray:
    """Calendar year of timestamps given in seconds since START."""
    return (START + (seconds // DAY).astype("timedelta64[D]")).astype("datetime64[Y]").astype(int) + 1970
