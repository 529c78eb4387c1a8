"""A shop's own settings, stored inside its DuckDB file, and how money is written for people.

Two settings today (docs/metrics.md, "Shop settings"):
- `currency`: the ISO 4217 code of the shop's money (GBP, USD, EUR, ...). Unset, it comes from the data where the
  source is known (the demo shop and Online Retail: GBP; a CDNOW file: USD), else there is none and amounts are
  shown as plain numbers. Pages and charts show it; CSV files keep plain numbers and never name it.
- `min_cohort`: the smallest cohort (customers) a page trusts (default 20). Smaller cohorts are greyed on the
  retention charts and tables and never picked by default.

The table `shop_settings` is created on the first save (idempotently), so reading never writes: a database
opened read-only, or one written by an earlier version, reads the defaults.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from recs import sql
from recs.errors import InputError

DEFAULT_MIN_COHORT = 20
MAX_MIN_COHORT = 1_000_000
SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥", "INR": "₹", "CNY": "¥", "KRW": "₩"}
# Where a shop's currency is known from its source: the import format, else a word in the file name.
CURRENCY_BY_FORMAT = {"demo": "GBP", "online-retail": "GBP", "cdnow": "USD"}
CURRENCY_BY_FILE_WORD = {"cdnow": "USD", "online_retail": "GBP", "online-retail": "GBP"}
_CODE = re.compile(r"^[A-Z]{3}$")
_UNSET: Any = object()


@dataclass(frozen=True)
class ShopSettings:
    """The settings in force: `currency` (None: no currency known), `min_cohort`, and where each came from
    (`currency_source`: "setting", "data" or "none"; `min_cohort_source`: "setting" or "default")."""

    currency: str | None = None
    min_cohort: int = DEFAULT_MIN_COHORT
    currency_source: str = "none"
    min_cohort_source: str = "default"

    def money(self, value: Any, decimals: int = 2, compact: bool = False) -> str:
        """`value` in this shop's currency for people: '£1,234.56', '1,234.56 CHF', '1,234.56' (no currency)."""
        return money(value, self.currency, decimals, compact)

    def unit(self, fallback: str = "") -> str:
        """The currency for a label or an axis title ('GBP'), or `fallback` when the shop has none."""
        return self.currency or fallback

    def label(self, text: str) -> str:
        """`text` with the currency in brackets: 'Revenue (GBP)'; `text` unchanged when the shop has none."""
        return f"{text} ({self.currency})" if self.currency else text

    def describe(self) -> list[str]:
        """One line per setting with where it came from (the CLI prints these)."""
        where = {"setting": "set for this shop", "data": "from the data's source", "none": "none known"}
        return [f"currency: {self.currency or '(none)'} ({where[self.currency_source]})",
                f"min_cohort: {self.min_cohort} ({'set for this shop' if self.min_cohort_source == 'setting' else 'default'})"]


def parse_currency(text: Any) -> str | None:
    """A currency code from user text: 'gbp' -> 'GBP'; '', 'none' or None -> None (no currency).
    InputError names the field for anything else."""
    value = "" if text is None else str(text).strip().upper()
    if value in ("", "NONE", "-"):
        return None
    if not _CODE.match(value):
        raise InputError(f"currency: expected a three-letter ISO code such as GBP, USD or EUR (or 'none'), "
                         f"got {str(text)!r}")
    return value


def parse_min_cohort(value: Any) -> int:
    """A minimum cohort size from user input: a whole number from 1 to 1,000,000 (InputError otherwise)."""
    try:
        number = float(str(value).strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number != int(number) or not 1 <= number <= MAX_MIN_COHORT:
        raise InputError(f"min-cohort: expected a whole number of customers from 1 to {MAX_MIN_COHORT:,}, "
                         f"got {str(value)!r}")
    return int(number)


def currency_from_data(con: Any) -> str | None:
    """The currency the shop's imports imply (the first import of orders whose source is known), else None."""
    for fmt, file_name in sql.run(con, "settings/import_sources").fetchall():
        if fmt in CURRENCY_BY_FORMAT:
            return CURRENCY_BY_FORMAT[fmt]
        name = str(file_name or "").lower()
        for word, code in CURRENCY_BY_FILE_WORD.items():
            if word in name:
                return code
    return None


def _stored(con: Any) -> dict[str, str | None]:
    if not sql.run(con, "settings/table_exists").fetchone()[0]:
        return {}
    return dict(sql.run(con, "settings/read_all").fetchall())


def load_settings(con: Any) -> ShopSettings:
    """The settings of the shop in `con`: stored values first, then the data's currency, then the defaults.
    Reads only (no table is created)."""
    stored = _stored(con)
    if "currency" in stored:
        currency, currency_source = stored["currency"], "setting"
    else:
        currency = currency_from_data(con)
        currency_source = "data" if currency else "none"
    if stored.get("min_cohort"):
        min_cohort, min_source = parse_min_cohort(stored["min_cohort"]), "setting"
    else:
        min_cohort, min_source = DEFAULT_MIN_COHORT, "default"
    return ShopSettings(currency, min_cohort, currency_source, min_source)


def save_settings(con: Any, currency: Any = _UNSET, min_cohort: Any = None) -> ShopSettings:
    """Store the given settings in the shop's file (`currency=None` or 'none': no currency, on purpose; an omitted
    argument keeps its value) and return the settings now in force. Values are checked first: InputError."""
    values: dict[str, str | None] = {}
    if currency is not _UNSET:
        values["currency"] = parse_currency(currency)
    if min_cohort is not None:
        values["min_cohort"] = str(parse_min_cohort(min_cohort))
    if values:
        sql.run(con, "settings/create_table")
        for name, value in values.items():
            sql.run(con, "settings/write_one", {"name": name, "value": value})
    return load_settings(con)


def compact_number(value: float, decimals: int = 1) -> str:
    """12345678 -> '12.3M', 45678 -> '45.7k', 950 -> '950' (KPI tiles stay readable in narrow columns)."""
    for threshold, divisor, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / divisor:,.{decimals}f}{suffix}"
    return f"{value:,.0f}"


def money(value: Any, currency: str | None, decimals: int = 2, compact: bool = False) -> str:
    """An amount for people: '£1,234.56' (a known symbol, minus sign first: '-£3.00'), '1,234.56 CHF' (other codes),
    '1,234.56' (no currency); `compact` abbreviates like the KPI tiles ('£12.3M'); None or NaN -> '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(number):
        return "–"
    digits = compact_number(abs(number)) if compact else f"{abs(number):,.{decimals}f}"
    sign = "-" if number < 0 and digits.strip("0.,") else ""
    if not currency:
        return f"{sign}{digits}"
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"
