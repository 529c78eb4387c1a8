"""Order lines in one pass over the file: typed columns only, one check query, line numbers in file order.

The file's text is read once into `_imp_lines` (typed values, a hash of the whole text row, a blank-row flag, and
the text of only the values that failed to convert). One aggregate query runs every check and every report figure.
When a check fails, `_explain` names the file, the column and the first offending rows with their raw values from
that same table: a bad file is never read twice nor staged as text, so a failing import needs about the memory of
a clean one. Row numbers come from the table's rowids, which follow the file order (the header is row 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recs.errors import InputError
from recs.importer import formats, validate
from recs.importer.readers import Source

LINES = "_imp_lines"
SPANS = "_imp_spans"
CHECKED = "_imp_checked"
KEPT = f"(SELECT * FROM {LINES} WHERE NOT _blank)"  # the non-blank rows, as a relation
# product id, name and category (as written) of the non-blank rows, for `products.merge_from_lines`
PRODUCT_LINES = (f"(SELECT product_id, product_name_raw AS product_name, category_raw AS category FROM {LINES} "
                 "WHERE NOT _blank AND product_id IS NOT NULL)")
# a line that counts as a sale (the `valid_lines` view of recs/schema.sql, on the staged typed rows)
SALE = "(quantity > 0 AND unit_price > 0 AND status NOT IN ('cancelled', 'returned'))"


@dataclass
class Checked:
    """What the check query found in the non-blank rows (all zero failures: the file can be written)."""

    rows: int  # every data row, blank ones included
    kept: int
    cancellations: int
    returns: int
    guest_lines: int
    orders: int
    customers: int
    first_at: str | None
    last_at: str | None
    repeated_hashes: int  # rows whose text hash equals an earlier row's (0: no exact duplicates at all)
    zero_price_lines: int = 0  # not cancelled or returned, quantity > 0, price 0: not a sale
    negative_lines: int = 0  # not cancelled or returned, quantity <= 0 or price < 0: not a sale
    not_sale_lines: int = 0  # every line `valid_lines` leaves out (cancelled and returned included)
    customers_without_sales: int = 0  # customers with lines, none of them a sale: absent from every figure
    fingerprint: str = ""  # the typed rows, whatever their order, line endings, BOM or encoding


def build(con, src: Source, fmt: str, cols: dict[str, int]) -> None:
    """Read the source once into `_imp_lines`; finish the non-ISO timestamps (slash/dot layouts, day-first)."""
    query = formats.order_lines_fast_query(fmt, cols, len(src.columns), src.relation)
    src.execute(con, f"CREATE OR REPLACE TEMP TABLE {LINES} AS {query}")
    day_first, other = con.execute(
        f"SELECT count(*) FILTER (WHERE TRY_CAST(regexp_extract(trim(_ts_raw), '^([0-9]{{1,2}})/[0-9]{{1,2}}/', 1) "
        f"AS INTEGER) > 12), count(*) FILTER (WHERE ordered_at IS NULL) FROM {LINES} WHERE _ts_raw IS NOT NULL"
    ).fetchall()[0]
    if other:
        con.execute(f"UPDATE {LINES} SET ordered_at = {formats.fallback_timestamp_sql('_ts_raw', day_first > 0)} "
                    "WHERE ordered_at IS NULL AND _ts_raw IS NOT NULL")


def check(con, src: Source, fmt: str, cols: dict[str, int]) -> Checked:
    """Every check of `validate.validate_order_lines` and every report count, in one scan of the typed rows
    (plus the per-order spans `insert` needs, which also count the orders).

    A failed check raises the exact message of the text-staged path (`_explain`).
    """
    checks = validate.order_line_checks(cols)
    failures = ", ".join(f"count(*) FILTER (WHERE {cond})" for _, cond, _, _ in checks)
    row = con.execute(f"""
        SELECT {failures}, count(*), count(*) FILTER (WHERE status = 'cancelled'),
               count(*) FILTER (WHERE status = 'returned'), count(*) FILTER (WHERE customer_id IS NULL),
               count(DISTINCT customer_id), CAST(min(ordered_at) AS VARCHAR), CAST(max(ordered_at) AS VARCHAR),
               (SELECT count(*) FROM {LINES}),
               count(*) FILTER (WHERE status NOT IN ('cancelled', 'returned') AND quantity > 0 AND unit_price = 0),
               count(*) FILTER (WHERE status NOT IN ('cancelled', 'returned') AND (quantity <= 0 OR unit_price < 0)),
               count(*) FILTER (WHERE NOT {SALE}),
               CAST(sum(hash(order_id, customer_id, ordered_at, product_id, quantity, unit_price, status, country)
                        ::HUGEINT) AS VARCHAR)
        FROM {LINES} WHERE NOT _blank""").fetchall()[0]
    n = len(checks)
    if any(row[:n]):
        _explain(con, src, cols)
    kept, cancelled, returned, guests, customers, first_at, last_at, rows, zero, negative, not_sale, digest = row[n:]
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {SPANS} AS
        SELECT order_id, min(rowid) AS first, max(rowid) - min(rowid) + 1 = count(*) AS contiguous
        FROM {LINES} WHERE NOT _blank GROUP BY order_id""")
    orders = con.execute(f"SELECT count(*) FROM {SPANS}").fetchall()[0][0]
    without = 0
    if not_sale:  # customers whose every line is left out of the figures (CDNOW: buyers of $0 lines only)
        without = con.execute(f"""SELECT count(*) FROM (SELECT customer_id FROM {LINES}
            WHERE NOT _blank AND customer_id IS NOT NULL GROUP BY customer_id HAVING NOT bool_or({SALE}))""").fetchall()[0][0]
    return Checked(rows, kept, cancelled, returned, guests, orders, customers, first_at, last_at,
                   repeated_hashes(con), zero, negative, not_sale, without, f"{kept}:{digest}")


def repeated_hashes(con) -> int:
    """How many non-blank rows hash like an earlier row: 0 proves there are no exact duplicates.

    numpy sorts the 64-bit hashes (a radix sort) several times faster than DuckDB groups 10 M distinct keys.
    """
    hashes = con.execute(f"SELECT _h FROM {LINES} WHERE NOT _blank").fetchnumpy()["_h"]
    if len(hashes) < 2:
        return 0
    hashes = np.sort(np.asarray(hashes))
    return int(np.count_nonzero(hashes[1:] == hashes[:-1]))


def _explain(con, src: Source, cols: dict[str, int]) -> None:
    """Raise the first failed check with its rows' raw values, read from the typed rows (`_imp_lines` keeps the
    text of every value that failed to convert) through a view: nothing is staged or read again."""
    con.execute(f"""CREATE OR REPLACE TEMP VIEW {CHECKED} AS
        SELECT CAST(rowid - (SELECT min(rowid) FROM {LINES}) + {int(src.first_row)} AS BIGINT) AS _row, order_id,
               product_id, ordered_at, _ts_raw AS ordered_at_raw, quantity, _quantity_raw AS quantity_raw,
               unit_price, _unit_price_raw AS unit_price_raw, status, _status_raw AS status_raw
        FROM {LINES} WHERE NOT _blank""")
    validate.validate_order_lines(con, CHECKED, src.path.name, src.columns, cols)
    raise InputError(f"{src.path.name}: the order lines did not pass validation")  # never reached: same checks


def insert(con, import_id: int) -> None:
    """Append the rows to `order_lines`; line_no = 1..n per order in file order (after `check`).

    An order whose rows are contiguous in the file (the usual export) gets line_no = rowid - first rowid + 1
    from its span (`check`); the other orders are numbered by a window over their rows only.
    """
    rest = "customer_id, ordered_at, product_id, quantity, unit_price, status, country"
    # Only fixed column lists and our temp-table names reach this text; the import id is a parameter.
    con.execute(f"""INSERT INTO order_lines
        SELECT order_id, CAST(l.rowid - s.first + 1 AS INTEGER), {rest}, ?
        FROM {LINES} l JOIN {SPANS} s USING (order_id) WHERE NOT l._blank AND s.contiguous""", [import_id])
    if con.execute(f"SELECT count(*) FROM {SPANS} WHERE NOT contiguous").fetchall()[0][0]:
        con.execute(f"""INSERT INTO order_lines
            SELECT order_id, CAST(row_number() OVER (PARTITION BY order_id ORDER BY rowid) AS INTEGER), {rest}, ?
            FROM {LINES} WHERE NOT _blank AND order_id IN (SELECT order_id FROM {SPANS} WHERE NOT contiguous)""",
                    [import_id])


def duplicates(con, src: Source, repeated_hashes: int) -> int:
    """Rows identical in every text column to an earlier non-blank row.

    Rows with a hash seen once are unique; only the rows of repeated hashes are compared as text (the file is
    read once more for them, and only when there are any), so a hash collision never counts as a duplicate.
    """
    if not repeated_hashes:
        return 0
    width = len(src.columns)
    every = ", ".join(f"c{i}" for i in range(width))
    # Positional column names, our temp tables and the read_csv(?) call (path bound) only: no file values.
    sql = f"""SELECT coalesce(sum(n) - count(*), 0) FROM (
        SELECT count(*) AS n FROM (SELECT {every}, hash({every}) AS _h FROM {src.relation}
                                   WHERE NOT ({formats.blank_sql(width)}))
        WHERE _h IN (SELECT _h FROM {LINES} WHERE NOT _blank GROUP BY _h HAVING count(*) > 1)
        GROUP BY {every})"""
    return int(src.execute(con, sql).fetchall()[0][0])
