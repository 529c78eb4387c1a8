-- Customers whose id starts with a prefix (an empty prefix matches every id), with their orders and last order
-- time, by id. Parameters (in order): the prefix, the row limit.
SELECT customer_id, count(*) AS orders, max(ordered_at) AS last_order
FROM orders
WHERE customer_id IS NOT NULL AND starts_with(customer_id, ?)
GROUP BY customer_id
ORDER BY customer_id
LIMIT ?
