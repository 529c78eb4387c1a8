-- The `orders` table rebuilt from `valid_lines` (recs/schema.sql): one row per order id with a valid line, the
-- customer's order number by time (ties by order id; NULL for guests) and the order's last valid line time.
-- Run by recs.db.refresh_derived inside the transaction that wrote order_lines. No parameters.
DELETE FROM orders;
INSERT INTO orders
SELECT order_id, customer_id, ordered_at, revenue,
       CASE WHEN customer_id IS NOT NULL
            THEN row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) END,
       last_line_at
FROM (
    SELECT order_id, min(customer_id) AS customer_id, min(ordered_at) AS ordered_at,
           sum(quantity * unit_price) AS revenue, max(ordered_at) AS last_line_at
    FROM valid_lines
    GROUP BY order_id
)
