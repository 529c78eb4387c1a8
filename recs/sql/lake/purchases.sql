-- lake/purchases: what a recommender learns from, aggregated on the cluster: one row per (customer, product, order)
-- of a real product by a known customer strictly before $until (all lines when NULL), with the order's first line
-- time for that product (recs.interactions.from_lines builds the same matrix from it). Binds $until.
SELECT v.customer_id, v.product_id, v.order_id, min(v.ordered_at) AS ordered_at
FROM valid_lines AS v
JOIN products AS p ON p.product_id = v.product_id
WHERE p.is_product AND v.customer_id IS NOT NULL AND ($until IS NULL OR v.ordered_at < $until)
GROUP BY v.customer_id, v.product_id, v.order_id
