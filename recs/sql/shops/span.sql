-- The shop's orders at a glance: (orders, customers, first order time, last order time) from the `orders` table.
SELECT count(*), count(DISTINCT customer_id), min(ordered_at), max(ordered_at) FROM orders
