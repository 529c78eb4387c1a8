-- definition: the time of the first and of the last order (earliest valid line) in the whole warehouse
SELECT min(ordered_at) AS first_order_at, max(ordered_at) AS last_order_at FROM orders
