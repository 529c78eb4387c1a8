"""Input layouts: which of our columns each format needs, how file columns are matched, and the SQL
that turns staged text into typed, normalised rows.

All SQL here is built from constants in this module and staged column names c0..cN; file content and
file column names never become SQL text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recs.errors import InputError

FORMATS = ("generic", "online-retail", "cdnow")


@dataclass(frozen=True)
class Layout:
    """Columns of one input kind: required and optional names, with accepted spellings (aliases)."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    aliases: dict[str, tuple[str, ...]]

    def names(self) -> tuple[str, ...]:
        return self.required + self.optional


# product_id is optional: a file without it imports as orders only (every manager metric works; the
# recommendation pages say they need products).
GENERIC = Layout(
    required=("order_id", "customer_id", "ordered_at", "quantity", "unit_price"),
    optional=("product_id", "status", "product_name", "category", "country"),
    aliases={},
)
# The CDNOW purchase log (whitespace separated, no header): read by `readers.cdnow_relation` into these columns,
# one order per customer and day, the line's dollar total divided by its number of CDs as the unit price.
CDNOW_COLUMNS = ("customer_id", "customer_index", "ordered_at", "quantity", "line_total")
CDNOW = Layout(required=("order_id", "customer_id", "ordered_at", "quantity", "unit_price"), optional=(), aliases={})
ONLINE_RETAIL = Layout(
    required=("order_id", "product_id", "quantity", "ordered_at", "unit_price", "customer_id"),
    optional=("product_name", "country"),
    aliases={
        "order_id": ("InvoiceNo", "Invoice"),
        "product_id": ("StockCode",),
        "product_name": ("Description",),
        "quantity": ("Quantity",),
        "ordered_at": ("InvoiceDate",),
        "unit_price": ("UnitPrice", "Price"),
        "customer_id": ("CustomerID", "Customer ID"),
        "country": ("Country",),
    },
)
ASSIGNMENTS = Layout(required=("experiment_id", "customer_id", "variant", "assigned_at"), optional=(), aliases={})
PRODUCTS = Layout(
    required=("product_id", "name"),
    optional=("category", "is_product", "in_stock"),
    aliases={"name": ("product_name",)},
)

# Source status values (compared lower-case, trimmed) -> our status. Empty means completed.
STATUS_MAP: dict[str, tuple[str, ...]] = {
    "completed": ("completed", "complete", "paid", "shipped", "delivered", "fulfilled", "closed", "ok", "done",
                  "processing", "processed", "invoiced"),
    "cancelled": ("cancelled", "canceled", "cancel", "void", "voided", "failed", "rejected"),
    "returned": ("returned", "return", "refunded", "refund", "partially_refunded", "partially refunded"),
}

# Timestamp texts besides ISO 8601 (which TRY_CAST reads): US month-first slashes unless the file
# proves day-first (a first number above 12), and German-style dots.
_TS_MONTH_FIRST = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%m/%d/%y %H:%M", "%m/%d/%y")
_TS_DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%y %H:%M", "%d/%m/%y")
_TS_OTHER = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d")


# Order dates outside this range are refused (a year 1 or 9999 is a typo or a placeholder, never a sale).
FIRST_DATE, LAST_DATE = "1900-01-01", "2100-12-31"
# A line worth this much or more (quantity x unit price, in absolute value) is refused: no real sale is, and sums
# of such values overflow to infinity.
MAX_LINE_AMOUNT = 1e15


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def resolve_columns(file_name: str, header: list[str], layout: Layout, mapping: dict[str, str] | None,
                    fmt: str) -> dict[str, int]:
    """Our column name -> index into the staged columns. Raises InputError naming missing required columns.

    Matching ignores case, spaces and punctuation ("Order ID" matches order_id). `mapping` (our name ->
    file column name) wins over matching, which is how the Data page renames columns.
    """
    seen: dict[str, str] = {}
    repeated = []
    for col in header:
        name = col.strip().lower()
        if name and name in seen and seen[name] not in repeated:
            repeated.append(seen[name])
        seen.setdefault(name, col)
    if repeated:
        raise InputError(f"{file_name}: the header names the same column more than once: "
                         f"{', '.join(repr(c) for c in repeated)}; rename or remove the repeated column(s) so each "
                         "name says which values to read")
    by_key: dict[str, int] = {}
    for i, col in enumerate(header):
        by_key.setdefault(_key(col), i)
    found: dict[str, int] = {}
    for ours in layout.names():
        wanted = (mapping or {}).get(ours)
        if wanted:
            if wanted in header:
                found[ours] = header.index(wanted)
                continue
            if _key(wanted) in by_key:
                found[ours] = by_key[_key(wanted)]
                continue
            raise InputError(f"{file_name}: mapped column {wanted!r} (for {ours}) is not in the file; "
                             f"columns found: {', '.join(repr(c) for c in header)}")
        for candidate in (ours, *layout.aliases.get(ours, ())):
            if _key(candidate) in by_key:
                found[ours] = by_key[_key(candidate)]
                break
    missing = [c for c in layout.required if c not in found]
    if missing:
        shown = [c if c not in layout.aliases else "/".join(layout.aliases[c]) for c in missing]
        raise InputError(
            f"{file_name}: missing required column(s) {', '.join(shown)} (format {fmt}); "
            f"columns found: {', '.join(repr(c) for c in header)}. Rename them in the file or map them "
            "on the Data page."
        )
    return found


def number_sql(col: str) -> str:
    """Text -> DOUBLE; a decimal comma ("2,55") is accepted; anything else unparseable becomes NULL.

    A comma followed by exactly three digits ("1,000") is NULL (reported as not a number): it reads as a thousands
    separator as easily as a decimal comma, and guessing wrong stores 1 for a thousand.

    Without a comma the cast is tried on the text as it is first: DuckDB's cast skips surrounding blanks, so
    whenever it reads the untrimmed text it reads the trimmed one to the same value. Each sub-expression occurs
    once, so DuckDB does not hoist `trim` out of the lazy branch and run it on every row.
    """
    return (f"coalesce(CASE WHEN NOT contains({col}, ',') THEN TRY_CAST({col} AS DOUBLE) END, "
            f"TRY_CAST(regexp_replace(trim({col}), '^([-+]?[0-9]*),([0-9]{{1,2}}|[0-9]{{4,}})$', '\\1.\\2') "
            "AS DOUBLE))")


def iso_timestamp_sql(col: str) -> str:
    """Text -> TIMESTAMP for ISO 8601 text (what DuckDB's cast reads); NULL otherwise (untrimmed first, as in
    `number_sql`)."""
    return f"coalesce(TRY_CAST({col} AS TIMESTAMP), TRY_CAST(trim({col}) AS TIMESTAMP))"


def fallback_timestamp_sql(col: str, day_first: bool) -> str:
    """Text -> TIMESTAMP for the slash and dot layouts (the second try, after `iso_timestamp_sql`)."""
    fmts = (_TS_DAY_FIRST if day_first else _TS_MONTH_FIRST) + _TS_OTHER
    listed = ", ".join(f"'{f}'" for f in fmts)
    t = f"trim({col})"
    return f"CASE WHEN regexp_matches({t}, '^[0-9]{{1,4}}[./][0-9]') THEN try_strptime({t}, [{listed}]) END"


def timestamp_sql(col: str, day_first: bool) -> str:
    """Text -> TIMESTAMP: ISO 8601 first, then the slash and dot layouts; NULL when nothing fits."""
    return f"coalesce({iso_timestamp_sql(col)}, {fallback_timestamp_sql(col, day_first)})"


def day_first_query(col: str, table: str) -> str:
    """Query counting values whose first slash-separated number is above 12 (proof of day-first 31/12/2024)."""
    return (f"SELECT count(*) FROM {table} "
            f"WHERE TRY_CAST(regexp_extract(trim({col}), '^([0-9]{{1,2}})/[0-9]{{1,2}}/', 1) AS INTEGER) > 12")


def status_sql(col: str) -> str:
    """Source status -> completed/cancelled/returned; empty -> completed; unknown -> NULL (reported).

    The canonical spellings are answered first; the rest looks up `lower(trim(...))` once in a MAP (one
    occurrence, so DuckDB does not compute it for every row).
    """
    pairs = ", ".join(f"'{v}': '{ours}'" for ours, values in STATUS_MAP.items() for v in values)
    return (f"CASE WHEN {col} IS NULL OR {col} IN ('completed', 'cancelled', 'returned') THEN coalesce({col}, "
            f"'completed') ELSE MAP {{'': 'completed', {pairs}}}[lower(trim({col}))] END")


def text_sql(col: str | None) -> str:
    return f"nullif(trim({col}), '')" if col else "CAST(NULL AS VARCHAR)"


def _customer_status(fmt: str, c: dict[str, str]) -> tuple[str, str, str]:
    """SQL for (customer_id, status, status_raw) of order lines in `fmt`."""
    if fmt == "online-retail":
        cust = text_sql(c["customer_id"])
        customer = f"CASE WHEN contains({cust}, '.') THEN regexp_replace({cust}, '^([0-9]+)\\.0+$', '\\1') ELSE {cust} END"
        status = f"CASE WHEN upper({text_sql(c['order_id'])}) LIKE 'C%' THEN 'cancelled' ELSE 'completed' END"
        status_raw = "CAST(NULL AS VARCHAR)"
    else:
        customer = text_sql(c["customer_id"])
        status = status_sql(c["status"]) if "status" in c else "'completed'"
        status_raw = c.get("status", "CAST(NULL AS VARCHAR)")
    return customer, status, status_raw


def order_lines_select(fmt: str, cols: dict[str, int], day_first: bool) -> str:
    """SELECT list over the raw staged table producing raw text and typed columns for order lines."""
    c = {k: f"c{v}" for k, v in cols.items()}
    customer, status, status_raw = _customer_status(fmt, c)
    return ", ".join([
        f"{text_sql(c['order_id'])} AS order_id",
        f"{customer} AS customer_id",
        f"{c['ordered_at']} AS ordered_at_raw",
        f"{timestamp_sql(c['ordered_at'], day_first)} AS ordered_at",
        f"{text_sql(c.get('product_id'))} AS product_id",
        f"{c['quantity']} AS quantity_raw",
        f"{number_sql(c['quantity'])} AS quantity",
        f"{c['unit_price']} AS unit_price_raw",
        f"{number_sql(c['unit_price'])} AS unit_price",
        f"{status_raw} AS status_raw",
        f"{status} AS status",
        f"{text_sql(c.get('product_name'))} AS product_name",
        f"{text_sql(c.get('category'))} AS category",
        f"{text_sql(c.get('country'))} AS country",
    ])


def blank_sql(width: int) -> str:
    """SQL: every one of the `width` text columns c0.. is missing or spaces (a blank row)."""
    return " AND ".join(f"coalesce(trim(c{i}), '') = ''" for i in range(width))


def order_lines_fast_query(fmt: str, cols: dict[str, int], width: int, relation: str) -> str:
    """Query over text columns c0..c{width-1} of `relation` giving typed order lines in one pass, without raw text.

    The same expressions as `order_lines_select`, except: `ordered_at` holds only the ISO reading and `_ts_raw`
    keeps the text of the rows that may need the slash/dot layouts or show day-first dates (not ISO, or with a
    '/'), so the day-first decision and the second try run on those rows only; `_h` hashes the whole text row
    (exact duplicates); `_blank` marks blank rows (checked column by column only when there is no order id);
    `_quantity_raw`, `_unit_price_raw` and `_status_raw` keep the text of the values that failed to convert (NULL
    elsewhere, so they cost next to nothing on a clean file), which is all an error message needs: a bad file is
    never read a second time.
    Product names and categories stay as written (`*_raw`): only the products table needs them, and it trims
    the few distinct (product, name, category) combinations instead of every row.
    The inner SELECT computes each conversion once; the outer one derives the flags from its results.
    """
    c = {k: f"c{v}" for k, v in cols.items()}
    customer, status, _ = _customer_status(fmt, c)
    every = ", ".join(f"c{i}" for i in range(width))
    inner = ", ".join([
        f"{text_sql(c['order_id'])} AS order_id",
        f"{customer} AS customer_id",
        f"{iso_timestamp_sql(c['ordered_at'])} AS ordered_at",
        f"{c['ordered_at']} AS _ts_text",
        f"{text_sql(c.get('product_id'))} AS product_id",
        f"{number_sql(c['quantity'])} AS quantity",
        f"{number_sql(c['unit_price'])} AS unit_price",
        f"{status} AS status",
        f"{c.get('product_name', 'CAST(NULL AS VARCHAR)')} AS product_name_raw",
        f"{c.get('category', 'CAST(NULL AS VARCHAR)')} AS category_raw",
        f"{text_sql(c.get('country'))} AS country",
        f"hash({every}) AS _h",
        every,
    ])
    status_raw = f"CASE WHEN status IS NULL THEN {c['status']} END" if "status" in c and fmt != "online-retail" else (
        "CAST(NULL AS VARCHAR)")
    return (f"SELECT order_id, customer_id, ordered_at, "
            f"CASE WHEN ordered_at IS NULL OR contains(_ts_text, '/') THEN _ts_text END AS _ts_raw, product_id, "
            f"quantity, unit_price, status, product_name_raw, category_raw, country, _h, "
            f"CASE WHEN order_id IS NOT NULL THEN false ELSE {blank_sql(width)} END AS _blank, "
            f"CASE WHEN quantity IS NULL OR NOT isfinite(quantity) THEN {c['quantity']} END AS _quantity_raw, "
            f"CASE WHEN unit_price IS NULL OR NOT isfinite(unit_price) THEN {c['unit_price']} END AS _unit_price_raw, "
            f"{status_raw} AS _status_raw "
            f"FROM (SELECT {inner} FROM {relation})")


def bool_sql(col: str | None, default: str = "TRUE") -> str:
    """Text -> BOOLEAN (true/false, yes/no, 1/0, y/n, t/f); empty -> default; unknown -> NULL (reported)."""
    if not col:
        return default
    t = f"lower(trim({col}))"
    return (f"CASE WHEN {col} IS NULL OR {t} = '' THEN {default} WHEN {t} IN ('true', 't', 'yes', 'y', '1') "
            f"THEN TRUE WHEN {t} IN ('false', 'f', 'no', 'n', '0') THEN FALSE ELSE NULL END")


def layout_for(kind: str, fmt: str = "generic") -> Layout:
    """The column layout of one file kind (orders in `fmt`, assignments, products)."""
    if kind == "orders":
        return ONLINE_RETAIL if fmt == "online-retail" else GENERIC
    if kind == "assignments":
        return ASSIGNMENTS
    if kind == "products":
        return PRODUCTS
    raise InputError(f"unknown file kind {kind!r}; use orders, assignments or products")


def suggest_mapping(header: list[str], kind: str, fmt: str = "generic") -> dict[str, str | None]:
    """For each of our columns (required first), the file column that matches it, or None."""
    layout = layout_for(kind, fmt)
    by_key: dict[str, str] = {}
    for col in header:
        by_key.setdefault(_key(col), col)
    out: dict[str, str | None] = {}
    for ours in layout.names():
        out[ours] = next((by_key[_key(c)] for c in (ours, *layout.aliases.get(ours, ())) if _key(c) in by_key), None)
    return out
