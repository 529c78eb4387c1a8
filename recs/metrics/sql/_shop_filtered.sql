-- shop (filtered): the sub-shop's orders recomputed from its lines, used when $country or $category is set.
-- Included by the loader in place of {{base}}, before _base.sql. Nothing here is built from user text.
shop_lines AS (         -- valid lines of the sub-shop, all time (valid_lines: qty > 0, price > 0, not cancelled/returned)
    SELECT l.order_id, l.customer_id, l.ordered_at, l.quantity * l.unit_price AS value
    FROM valid_lines AS l
    WHERE ($country IS NULL OR l.country = $country)
      AND ($category IS NULL OR l.product_id IN (SELECT p.product_id FROM products AS p WHERE p.category = $category))
),
shop_orders AS (        -- one row per order id with at least one valid line of the sub-shop, all time
    SELECT order_id, min(customer_id) AS customer_id, min(ordered_at) AS ordered_at, CAST(sum(CAST(value AS DECIMAL(38, 6))) AS DOUBLE) AS revenue
    FROM shop_lines
    GROUP BY order_id
),
shop_sequence AS (      -- customers' orders in the sub-shop numbered by time (ties by order id)
    SELECT customer_id, order_id, ordered_at,
           row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) AS n
    FROM shop_orders
    WHERE customer_id IS NOT NULL
),
data_end AS (           -- the last order time in the whole warehouse before $end: where observation stops
    SELECT max(ordered_at) AS end_at
    FROM valid_lines
    WHERE $end IS NULL OR ordered_at < $end
)
