-- Customers with a valid line before the cutoff (all when NULL), by id: who a campaign list is for.
-- Parameters (in order): the cutoff twice (TIMESTAMP or NULL).
SELECT DISTINCT customer_id
FROM valid_lines
WHERE customer_id IS NOT NULL AND (CAST(? AS TIMESTAMP) IS NULL OR ordered_at < ?)
ORDER BY customer_id
