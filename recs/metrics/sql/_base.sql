-- base: the CTEs every metric shares, after `shop_orders` (from _shop_all.sql or _shop_filtered.sql: $country,
-- $category define the sub-shop; $start/$end only choose the window). Included by the loader where a metric file
-- says {{base}}. Parameters: $start, $end (TIMESTAMP or NULL), $country, $category (VARCHAR or NULL).
-- Nothing here is built from user text. Money is summed as DECIMAL(38, 6) in every metric (each order's revenue to
-- the millionth): the sum is exact, so a figure is the same on every run (a DOUBLE sum's last digit depends on the
-- order DuckDB's threads add in, and the page's CSV and the CLI's must be the same bytes).
window_orders AS (      -- the orders a figure counts: start <= time < end
    SELECT *
    FROM shop_orders
    WHERE ($start IS NULL OR ordered_at >= $start) AND ($end IS NULL OR ordered_at < $end)
),
customer_firsts AS (    -- each customer's first order ever in the sub-shop (the window does not move it)
    SELECT customer_id, ordered_at AS first_at
    FROM shop_sequence
    WHERE n = 1
),
first_two AS (          -- each customer's first and second order in the sub-shop (by time, ties by order id); the second
    SELECT customer_id, --   only counts when it falls before the window end
           max(order_id) FILTER (WHERE n = 1)                                             AS first_order_id,
           max(ordered_at) FILTER (WHERE n = 1)                                           AS first_at,
           max(order_id) FILTER (WHERE n = 2 AND ($end IS NULL OR ordered_at < $end))    AS second_order_id,
           max(ordered_at) FILTER (WHERE n = 2 AND ($end IS NULL OR ordered_at < $end))  AS second_at
    FROM shop_sequence
    WHERE n <= 2
    GROUP BY customer_id
)
