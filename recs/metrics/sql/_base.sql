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
)
