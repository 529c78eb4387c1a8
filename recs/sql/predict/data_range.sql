-- The first and last order time of known customers (where a cutoff may lie). No parameters.
SELECT min(ordered_at) AS first_at, max(ordered_at) AS last_at FROM orders WHERE customer_id IS NOT NULL
