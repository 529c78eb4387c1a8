-- shared part: valid lines of real products by known customers, as the CTE `real_lines`.
real_lines AS (
    SELECT v.customer_id, v.product_id, v.ordered_at
    FROM valid_lines v
    JOIN products p ON p.product_id = v.product_id
    WHERE p.is_product AND v.customer_id IS NOT NULL
)
