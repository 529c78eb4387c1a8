-- For the customers of a targeting list: orders of $product (bought_before), its last purchase time, and all their
-- orders. Parameters: $product, $customers (a list of customer ids).
SELECT customer_id,
       count(DISTINCT order_id) FILTER (WHERE product_id = $product) AS bought_before,
       max(ordered_at) FILTER (WHERE product_id = $product) AS last_bought,
       count(DISTINCT order_id) AS orders
FROM valid_lines
WHERE customer_id = ANY($customers)
GROUP BY customer_id
