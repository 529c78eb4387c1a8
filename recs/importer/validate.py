"""Checks on staged rows, run before anything is written. Each failure raises ONE InputError naming the
file, the column and the first (up to 5) offending rows with their row numbers (header = row 1).
"""

from __future__ import annotations

from recs.errors import InputError, format_rows
from recs.importer import formats

MAX_SHOWN = 5


def check(con, table: str, file_name: str, column: str, condition: str, value: str, what: str) -> None:
    """Raise when rows of `table` match `condition`; show `value` for the first offending rows.

    `condition` and `value` are SQL built from constants of this package, never from user text.
    """
    n = con.execute(f"SELECT count(*) FROM {table} WHERE {condition}").fetchall()[0][0]
    if not n:
        return
    rows = con.execute(f"SELECT _row, coalesce({value}, '') FROM {table} WHERE {condition} ORDER BY _row "
                       f"LIMIT {MAX_SHOWN}").fetchall()
    noun = "row" if n == 1 else "rows"
    raise InputError(f"{file_name}: column {column!r}: {what} in {n:,} {noun}; first: {format_rows(rows, MAX_SHOWN)}")


def _label(header: list[str], cols: dict[str, int], ours: str) -> str:
    """The file's own name for one of our columns, with ours in brackets when they differ."""
    theirs = header[cols[ours]] if ours in cols else ours
    return theirs if theirs == ours else f"{theirs} ({ours})"


def order_line_checks(cols: dict[str, int]) -> list[tuple[str, str, str, str]]:
    """(our column, failing condition, value shown, what is wrong) for typed order lines, in the order checked.

    Defined once: the one-pass importer counts these conditions, and `validate_order_lines` explains them.
    """
    checks = [("order_id", "order_id IS NULL", "order_id", "empty value (every line needs an order id)")]
    if "product_id" in cols:
        checks.append(("product_id", "product_id IS NULL", "product_id", "empty value (every line needs a product id)"))
    checks += [
        ("ordered_at", "ordered_at IS NULL", "ordered_at_raw",
         "not a date and time we can read (use e.g. 2024-03-31 14:05:00)"),
        ("ordered_at", f"ordered_at < TIMESTAMP '{formats.FIRST_DATE}' OR ordered_at >= TIMESTAMP '{formats.LAST_DATE}'"
                       " + INTERVAL 1 DAY", "CAST(ordered_at AS VARCHAR)",
         f"date outside the accepted range {formats.FIRST_DATE} .. {formats.LAST_DATE}"),
        ("quantity", "quantity IS NULL OR NOT isfinite(quantity)", "quantity_raw", "not a number"),
        ("unit_price", "unit_price IS NULL OR NOT isfinite(unit_price)", "unit_price_raw", "not a number"),
        ("unit_price", f"NOT (abs(quantity * unit_price) < {formats.MAX_LINE_AMOUNT:.0e})",
         "CAST(quantity AS VARCHAR) || ' x ' || CAST(unit_price AS VARCHAR)",
         f"quantity x unit price of {formats.MAX_LINE_AMOUNT:,.0f} or more (no real sale; such sums overflow)"),
    ]
    if "status" in cols:
        checks.append(("status", "status IS NULL", "status_raw", UNKNOWN_STATUS))
    return checks


UNKNOWN_STATUS = "unknown status"


def validate_order_lines(con, table: str, file_name: str, header: list[str], cols: dict[str, int]) -> None:
    """Required ids present, timestamps parse, numbers are numbers, statuses are known."""
    lab = lambda ours: _label(header, cols, ours)  # noqa: E731
    for ours, condition, value, what in order_line_checks(cols):
        if what == UNKNOWN_STATUS:
            unknown = con.execute(f"SELECT DISTINCT status_raw FROM {table} WHERE {condition} ORDER BY 1 LIMIT 10"
                                  ).fetchall()
            if not unknown:
                continue
            values = ", ".join(repr(v[0]) for v in unknown)
            what = (f"unknown status ({values}; known: completed, cancelled, returned and the synonyms listed in "
                    "docs/data-format.md)")
        check(con, table, file_name, lab(ours), condition, value, what)


def validate_assignments(con, table: str, file_name: str, header: list[str], cols: dict[str, int],
                         existing_sql: str) -> None:
    """Ids and variant present, timestamps parse, and no customer in two variants of one experiment."""
    lab = lambda ours: _label(header, cols, ours)  # noqa: E731
    for ours in ("experiment_id", "customer_id", "variant"):
        check(con, table, file_name, lab(ours), f"{ours} IS NULL", ours, "empty value")
    check(con, table, file_name, lab("assigned_at"), "assigned_at IS NULL", "assigned_at_raw",
          "not a date and time we can read (use e.g. 2024-03-31 14:05:00)")
    conflict = con.execute(f"""
        SELECT experiment_id, customer_id FROM {table} GROUP BY ALL HAVING count(DISTINCT variant) > 1
        ORDER BY min(_row) LIMIT 1""").fetchall()
    if conflict:
        conflict = conflict[0]
        exp, cust = conflict
        n = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY experiment_id, customer_id "
                        "HAVING count(DISTINCT variant) > 1)").fetchall()[0][0]
        rows = con.execute(f"SELECT _row, variant FROM {table} WHERE experiment_id = ? AND customer_id = ? "
                           f"ORDER BY _row LIMIT {MAX_SHOWN}", [exp, cust]).fetchall()
        raise InputError(f"{file_name}: column {lab('variant')!r}: customer {cust!r} is assigned to more than one "
                         f"variant of experiment {exp!r} ({format_rows(rows)}); {n:,} customer(s) affected")
    clash = con.execute(f"""
        SELECT s._row, s.experiment_id, s.customer_id, s.variant, e.variant
        FROM {table} s JOIN ({existing_sql}) e USING (experiment_id, customer_id)
        WHERE s.variant <> e.variant ORDER BY s._row LIMIT {MAX_SHOWN}""").fetchall()
    if clash:
        shown = ", ".join(f"row {r}: {c!r} in {v!r} but already in {old!r}" for r, _, c, v, old in clash)
        raise InputError(f"{file_name}: column {lab('variant')!r}: customers already assigned to another variant of "
                         f"experiment {clash[0][1]!r}: {shown}")


def validate_products(con, table: str, file_name: str, header: list[str], cols: dict[str, int]) -> None:
    """Product ids present and unique, booleans readable."""
    lab = lambda ours: _label(header, cols, ours)  # noqa: E731
    check(con, table, file_name, lab("product_id"), "product_id IS NULL", "product_id",
          "empty value (every line needs a product id)")
    check(con, table, file_name, lab("product_id"),
          f"product_id IN (SELECT product_id FROM {table} GROUP BY 1 HAVING count(*) > 1)", "product_id",
          "product id appears more than once")
    for ours in ("is_product", "in_stock"):
        if ours in cols:
            check(con, table, file_name, lab(ours), f"{ours} IS NULL", f"{ours}_raw",
                  "not true/false (use true/false, yes/no or 1/0)")
