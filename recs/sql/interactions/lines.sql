-- Valid lines of real products by known customers before the cutoff (all when NULL): customer, product, order,
-- time. What recs.interactions.from_lines builds the matrix from. Parameters (in order): the cutoff twice.
SELECT v.customer_id, v.product_id, v.order_id, v.ordered_at
FROM valid_lines v JOIN products p ON p.product_id = v.product_id
WHERE p.is_product AND v.customer_id IS NOT NULL AND (CAST(? AS TIMESTAMP) IS NULL OR v.ordered_at < ?)
