"""The filters every metric takes, and parsing of the values people type (CLI, pages).

- `start`/`end`: orders with start <= time < end (dates; `end` is exclusive).
- `country`: only lines (hence orders) of that country.
- `category`: only lines of products in that category; orders are recomputed from those lines.
Country and category define a sub-shop (first orders, cohorts and "returning" are judged inside it);
the date window only chooses which orders are counted, never moves a customer's first order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from recs.errors import InputError

GRAINS = ("month", "week")
DEFAULT_DAYS = (30, 60, 90)


@dataclass(frozen=True)
class Filters:
    """Which orders a figure counts. All fields optional; values are bound as SQL parameters."""

    start: dt.date | None = None
    end: dt.date | None = None
    country: str | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, dt.date):
                raise InputError(f"--{name}: expected a date, got {value!r}")
        if self.start is not None and self.end is not None and _midnight(self.start) >= _midnight(self.end):
            raise InputError(f"--start {self.start} must be before --end {self.end} (end is exclusive)")

    def params(self) -> dict[str, Any]:
        """The named SQL parameters: $start, $end (timestamps at midnight), $country, $category."""
        return {
            "start": _midnight(self.start),
            "end": _midnight(self.end),
            "country": self.country or None,
            "category": self.category or None,
        }

    def previous(self) -> Filters | None:
        """The window of equal length just before this one (None without both start and end)."""
        if self.start is None or self.end is None:
            return None
        start, end = _as_date(self.start), _as_date(self.end)
        return Filters(start=start - (end - start), end=start, country=self.country, category=self.category)


def _as_date(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _midnight(value: dt.date | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


def parse_date(text: str | None, name: str = "date") -> dt.date | None:
    """A YYYY-MM-DD string as a date (None stays None); InputError names the option otherwise."""
    if text is None or text == "":
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--{name}: {text!r} is not a date; use YYYY-MM-DD, e.g. 2011-01-31") from None


def check_grain(grain: str) -> str:
    """'month' or 'week', else InputError."""
    if grain not in GRAINS:
        raise InputError(f"--grain: unknown grain {grain!r}; use one of: {', '.join(GRAINS)}")
    return grain


def parse_days(text: str | list | tuple | None) -> list[float]:
    """'30,60,90' (or a list) as positive numbers of days, in the order given, without duplicates."""
    if text is None:
        return [float(d) for d in DEFAULT_DAYS]
    items = text.split(",") if isinstance(text, str) else list(text)
    days: list[float] = []
    for item in items:
        try:
            value = float(str(item).strip())
        except ValueError:
            raise InputError(f"--days: {item!r} is not a number of days; use e.g. 30,60,90") from None
        if not value > 0 or value != value or value == float("inf"):
            raise InputError(f"--days: {item!r} must be a positive number of days")
        if value not in days:
            days.append(value)
    if not days:
        raise InputError("--days: give at least one number of days, e.g. 30,60,90")
    return days


def days_label(days: float) -> str:
    """30.0 -> '30', 7.5 -> '7.5' (for column names within_30, complete_7.5)."""
    return str(int(days)) if float(days).is_integer() else repr(float(days))
