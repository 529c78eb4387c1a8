-- One row per order of one customer, oldest first: order_id, ordered_at, revenue, items, lines.
-- Parameters: $customer.
{{customer_orders}}
SELECT order_id, ordered_at, revenue, items, lines
FROM customer_orders
ORDER BY ordered_at, order_id
