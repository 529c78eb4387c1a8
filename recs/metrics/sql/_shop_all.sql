-- shop (whole): no country/category filter, so the sub-shop is the whole shop and its orders are the `orders`
-- table (kept by every import and demo write: one row per order id with a valid line, recs/schema.sql).
shop_orders AS (        -- one row per order id with at least one valid line, all time
    SELECT order_id, customer_id, ordered_at, revenue
    FROM orders
),
shop_sequence AS (      -- customers' orders numbered by time (ties by order id), numbered once per import
    SELECT customer_id, order_id, ordered_at, customer_order_no AS n
    FROM orders
    WHERE customer_id IS NOT NULL
),
data_end AS (           -- the last order time in the whole warehouse before $end: where observation stops. From the
    SELECT greatest(    --   orders table, plus the lines before $end of the few orders whose lines straddle $end
        (SELECT max(last_line_at) FROM orders WHERE $end IS NULL OR last_line_at < $end),
        (SELECT max(l.ordered_at)
         FROM valid_lines AS l
         WHERE $end IS NOT NULL AND l.ordered_at < $end
           AND l.order_id IN (SELECT order_id FROM orders WHERE ordered_at < $end AND last_line_at >= $end))
    ) AS end_at
)
