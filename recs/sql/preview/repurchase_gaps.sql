-- One row per (customer, later purchase day) of one product: whole days since that customer's previous purchase
-- day of it. Same definition as Interactions.products.repurchase_days (distinct calendar days, median gap).
-- Parameters (in order): the product id.
WITH days AS (
    SELECT DISTINCT customer_id, CAST(ordered_at AS DATE) AS day
    FROM valid_lines
    WHERE product_id = ? AND customer_id IS NOT NULL
), ordered AS (
    SELECT customer_id, day, lag(day) OVER (PARTITION BY customer_id ORDER BY day) AS prev
    FROM days
)
SELECT customer_id, CAST(date_diff('day', prev, day) AS DOUBLE) AS gap_days
FROM ordered WHERE prev IS NOT NULL
ORDER BY customer_id, day
