-- The lines a model trained before the cutoff learns from (the same filter as recs.interactions: valid lines of
-- real products by known customers, strictly before the cutoff): lines, orders, customers, products, first and
-- last line. Parameters: $cutoff (TIMESTAMP, NULL = all).
SELECT count(*) AS lines, count(DISTINCT v.order_id) AS orders, count(DISTINCT v.customer_id) AS customers,
       count(DISTINCT v.product_id) AS products, min(v.ordered_at) AS first_line, max(v.ordered_at) AS last_line
FROM valid_lines v JOIN products p ON p.product_id = v.product_id
WHERE p.is_product AND v.customer_id IS NOT NULL AND (CAST($cutoff AS TIMESTAMP) IS NULL OR v.ordered_at < $cutoff)
