-- metric date_range: its definition, output columns and parameters are in date_range.toml beside this file
SELECT min(ordered_at) AS first_order_at, max(ordered_at) AS last_order_at FROM orders
