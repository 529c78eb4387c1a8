-- base: the filtered sub-shop every metric starts from ($country, $category define it; $start/$end only the window)
-- Included by the loader where a metric file says {{base}}. Parameters: $start, $end (TIMESTAMP or NULL),
-- $country, $category (VARCHAR or NULL). Nothing here is built from user text.
shop_lines AS (         -- valid lines of the sub-shop, all time (valid_lines: qty > 0, price > 0, not cancelled/returned)
    SELECT l.order_id, l.customer_id, l.ordered_at, l.quantity * l.unit_price AS value
    FROM valid_lines AS l
    WHERE ($country IS NULL OR l.country = $country)
      AND ($category IS NULL OR l.product_id IN (SELECT p.product_id FROM products AS p WHERE p.category = $category))
),
shop_orders AS (        -- one row per order id with at least one valid line of the sub-shop, all time
    SELECT order_id, min(customer_id) AS customer_id, min(ordered_at) AS ordered_at, sum(value) AS revenue
    FROM shop_lines
    GROUP BY order_id
),
window_orders AS (      -- the orders a figure counts: start <= time < end
    SELECT *
    FROM shop_orders
    WHERE ($start IS NULL OR ordered_at >= $start) AND ($end IS NULL OR ordered_at < $end)
),
customer_firsts AS (    -- each customer's first order ever in the sub-shop (the window does not move it)
    SELECT customer_id, min(ordered_at) AS first_at
    FROM shop_orders
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
),
data_end AS (           -- the last order time in the whole warehouse before $end: where observation stops
    SELECT max(ordered_at) AS end_at
    FROM valid_lines
    WHERE $end IS NULL OR ordered_at < $end
),
first_two AS (          -- each customer's first and second order in the sub-shop (by time, ties by order id); the second
    SELECT customer_id, --   only counts when it falls before the window end
           max(order_id) FILTER (WHERE n = 1)                                             AS first_order_id,
           max(ordered_at) FILTER (WHERE n = 1)                                           AS first_at,
           max(order_id) FILTER (WHERE n = 2 AND ($end IS NULL OR ordered_at < $end))    AS second_order_id,
           max(ordered_at) FILTER (WHERE n = 2 AND ($end IS NULL OR ordered_at < $end))  AS second_at
    FROM (
        SELECT customer_id, order_id, ordered_at,
               row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) AS n
        FROM shop_orders
        WHERE customer_id IS NOT NULL
    )
    WHERE n <= 2
    GROUP BY customer_id
)
