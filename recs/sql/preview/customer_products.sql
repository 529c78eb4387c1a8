-- What one customer bought (valid lines), most-ordered first: orders, quantity, revenue, first and last purchase.
-- Parameters (in order): the customer id.
SELECT l.product_id, any_value(p.name) AS product_name, any_value(p.category) AS category,
       count(DISTINCT l.order_id) AS orders, sum(l.quantity) AS quantity,
       sum(l.quantity * l.unit_price) AS revenue,
       min(l.ordered_at) AS first_bought, max(l.ordered_at) AS last_bought,
       coalesce(any_value(p.is_product), true) AS is_product
FROM valid_lines l LEFT JOIN products p USING (product_id)
WHERE l.customer_id = ?
GROUP BY l.product_id
ORDER BY orders DESC, last_bought DESC, l.product_id
