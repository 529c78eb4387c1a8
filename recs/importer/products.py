"""The products table: built from order lines, or loaded from a products file, merged on later imports.

Non-product codes (postage, fees, manual adjustments, discounts, vouchers) are listed once, here.
"""

from __future__ import annotations

# Online Retail stock codes that are not products (exact, case-sensitive: "M" and "m" are both manual).
NON_PRODUCT_CODES: tuple[str, ...] = (
    "POST",  # postage
    "DOT",  # dotcom postage
    "M", "m",  # manual adjustment
    "D",  # discount
    "C2",  # carriage
    "S",  # samples
    "B",  # adjust bad debt
    "PADS",  # pads to match all cushions (a 0.001 pricing line)
    "CRUK",  # CRUK commission
    "BANK CHARGES",
    "AMAZONFEE",
)
# ... and every code starting with one of these (case-sensitive).
NON_PRODUCT_PREFIXES: tuple[str, ...] = ("DCGS", "gift_")

MOJIBAKE = {"Â£": "£"}  # UTF-8 "£" read once as Latin-1


def is_product_sql(col: str, fmt: str) -> str:
    """SQL deciding is_product from a product code. Only the online-retail format knows its fee codes."""
    if fmt != "online-retail":
        return "TRUE"
    codes = ", ".join("'" + c.replace("'", "''") + "'" for c in NON_PRODUCT_CODES)
    prefixes = " OR ".join(f"starts_with({col}, '{p}')" for p in NON_PRODUCT_PREFIXES)
    return f"NOT ({col} IN ({codes}) OR {prefixes})"


def _fix_text(col: str) -> str:
    expr = f"trim({col})"
    for bad, good in MOJIBAKE.items():
        expr = f"replace({expr}, '{bad}', '{good}')"
    return expr


def merge_from_lines(con, lines: str, fmt: str) -> int:
    """Add products seen in the staged order lines `lines` that the products table lacks; fill in missing
    names and categories of existing ones. Returns the number of new products.

    Name = most frequent description (ties: alphabetically first), category likewise. The lines are read once
    (counts per product, name and category as written), the rest (trimming, blanks as missing) works on those
    few combinations.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _imp_newprod AS
        WITH combos AS MATERIALIZED (
            SELECT product_id, nullif(trim(product_name), '') AS product_name, nullif(trim(category), '') AS category,
                   sum(n) AS n
            FROM (SELECT product_id, product_name, category, count(*) AS n FROM {lines} GROUP BY ALL) GROUP BY ALL),
        ids AS (SELECT DISTINCT product_id FROM combos),
        names AS (
            SELECT product_id, {_fix_text('product_name')} AS name, sum(n) AS lines
            FROM combos WHERE product_name IS NOT NULL GROUP BY 1, 2
            QUALIFY row_number() OVER (PARTITION BY product_id ORDER BY lines DESC, name) = 1),
        cats AS (
            SELECT product_id, category, sum(n) AS lines
            FROM combos WHERE category IS NOT NULL GROUP BY 1, 2
            QUALIFY row_number() OVER (PARTITION BY product_id ORDER BY lines DESC, category) = 1)
        SELECT ids.product_id, names.name, cats.category, {is_product_sql('ids.product_id', fmt)} AS is_product
        FROM ids LEFT JOIN names USING (product_id) LEFT JOIN cats USING (product_id)
    """)
    new = con.execute("SELECT count(*) FROM _imp_newprod n WHERE n.product_id NOT IN (SELECT product_id FROM products)"
                      ).fetchall()[0][0]
    con.execute("""
        INSERT INTO products (product_id, name, category, is_product, in_stock, unit_price)
        SELECT product_id, name, category, is_product, TRUE, NULL FROM _imp_newprod
        WHERE product_id NOT IN (SELECT product_id FROM products)
    """)
    con.execute("""
        UPDATE products SET name = coalesce(products.name, n.name), category = coalesce(products.category, n.category)
        FROM _imp_newprod n
        WHERE products.product_id = n.product_id AND (products.name IS NULL OR products.category IS NULL)
    """)
    refresh_prices(con, "SELECT product_id FROM _imp_newprod")
    return int(new)


def refresh_prices(con, ids_sql: str) -> None:
    """unit_price = the most recent valid price in order_lines, for the products selected by `ids_sql`.

    Most recent = the last line by (ordered_at, import_id, order_id, line_no), without sorting: the latest time per
    product first (a plain max), then the last of that moment's few lines by (import_id, order_id, line_no).
    """
    con.execute(f"""
        UPDATE products SET unit_price = p.unit_price
        FROM (
            WITH latest AS (
                SELECT product_id, max(ordered_at) AS ordered_at FROM valid_lines
                WHERE product_id IN ({ids_sql}) GROUP BY product_id)
            SELECT v.product_id, arg_max(v.unit_price, (v.import_id, v.order_id, v.line_no)) AS unit_price
            FROM valid_lines v JOIN latest USING (product_id, ordered_at) GROUP BY v.product_id
        ) p
        WHERE products.product_id = p.product_id
    """)


def merge_from_file(con, staged: str) -> tuple[int, int]:
    """Upsert a validated products file (temp table `staged`: product_id, name, category, is_product, in_stock,
    has_category, has_is_product, has_in_stock flags). Returns (new, updated)."""
    new = con.execute(f"SELECT count(*) FROM {staged} WHERE product_id NOT IN (SELECT product_id FROM products)"
                      ).fetchall()[0][0]
    updated = con.execute(f"SELECT count(*) FROM {staged} WHERE product_id IN (SELECT product_id FROM products)"
                          ).fetchall()[0][0]
    con.execute(f"""
        UPDATE products SET
            name = s.name,
            category = CASE WHEN s.has_category THEN s.category ELSE products.category END,
            is_product = CASE WHEN s.has_is_product THEN s.is_product ELSE products.is_product END,
            in_stock = CASE WHEN s.has_in_stock THEN s.in_stock ELSE products.in_stock END
        FROM {staged} s WHERE products.product_id = s.product_id
    """)
    con.execute(f"""
        INSERT INTO products (product_id, name, category, is_product, in_stock, unit_price)
        SELECT product_id, name, category, is_product, in_stock, NULL FROM {staged}
        WHERE product_id NOT IN (SELECT product_id FROM products)
    """)
    refresh_prices(con, f"SELECT product_id FROM {staged}")
    return int(new), int(updated)
