-- shared part: one customer's ($customer) rows of the `orders` table, with the items, line count and country of
-- each order from its valid lines, as the CTE `customer_orders`.
WITH mine AS (SELECT order_id, customer_id, ordered_at, revenue FROM orders WHERE customer_id = $customer),
details AS (
    SELECT order_id, sum(quantity) AS items, count(*) AS lines, min(country) AS country
    FROM valid_lines
    WHERE order_id IN (SELECT order_id FROM mine)
    GROUP BY order_id
),
customer_orders AS (SELECT * FROM mine JOIN details USING (order_id))
