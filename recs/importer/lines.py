"""Order lines in one pass over the file: typed columns only, one check query, line numbers in file order.

The file's text is read once into `_imp_lines` (typed values, a hash of the whole text row, a blank-row flag;
no copy of the text). One aggregate query runs every check and every report figure. Only when a check fails is
the file staged as text the slow, exact way (`_explain`), so the message names the file, the column and the first
offending rows with their raw values exactly as before. Row numbers come from the table's rowids, which follow
the file order (the header is row 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recs.errors import InputError
from recs.importer import formats, validate
from recs.importer.readers import Source, stage_file

LINES = "_imp_lines"
SPANS = "_imp_spans"
CHECKED = "_imp_checked"
KEPT = f"(SELECT * FROM {LINES} WHERE NOT _blank)"  # the non-blank rows, as a relation
# product id, name and category (as written) of the non-blank rows, for `products.merge_from_lines`
PRODUCT_LINES = (f"(SELECT product_id, product_name_raw AS product_name, category_raw AS category FROM {LINES} "
                 "WHERE NOT _blank)")


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
               (SELECT count(*) FROM {LINES})
        FROM {LINES} WHERE NOT _blank""").fetchall()[0]
    n = len(checks)
    if any(row[:n]):
        _explain(con, src, fmt, cols)
    kept, cancelled, returned, guests, customers, first_at, last_at, rows = row[n:]
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {SPANS} AS
        SELECT order_id, min(rowid) AS first, max(rowid) - min(rowid) + 1 = count(*) AS contiguous
        FROM {LINES} WHERE NOT _blank GROUP BY order_id""")
    orders = con.execute(f"SELECT count(*) FROM {SPANS}").fetchall()[0][0]
    return Checked(rows, kept, cancelled, returned, guests, orders, customers, first_at, last_at,
                   repeated_hashes(con))


def repeated_hashes(con) -> int:
    """How many non-blank rows hash like an earlier row: 0 proves there are no exact duplicates.

    numpy sorts the 64-bit hashes (a radix sort) several times faster than DuckDB groups 10 M distinct keys.
    """
    hashes = con.execute(f"SELECT _h FROM {LINES} WHERE NOT _blank").fetchnumpy()["_h"]
    if len(hashes) < 2:
        return 0
    hashes = np.sort(np.asarray(hashes))
    return int(np.count_nonzero(hashes[1:] == hashes[:-1]))


def _explain(con, src: Source, fmt: str, cols: dict[str, int]) -> None:
    """Stage the file as text (the exact, slower path) and raise the first failed check with its raw values."""
    staged = src.staged or stage_file(con, src.path, "_imp_raw")
    day_first = con.execute(formats.day_first_query(f"c{cols['ordered_at']}", staged.table)).fetchall()[0][0] > 0
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {CHECKED} AS
        SELECT _row, {formats.order_lines_select(fmt, cols, day_first)}
        FROM {staged.table} WHERE NOT ({formats.blank_sql(len(staged.columns))})""")
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
