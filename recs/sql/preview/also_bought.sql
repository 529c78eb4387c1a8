-- Customers who bought $product also bought: per other real product, the customers who bought both, most first
-- (ties by product id), share = those customers / buyers of $product, lift = share / (buyers of it / all
-- customers). Parameters: $product, $limit.
WITH buyers AS (
    SELECT DISTINCT customer_id FROM valid_lines WHERE product_id = $product AND customer_id IS NOT NULL
), co AS (
    SELECT l.product_id, count(DISTINCT l.customer_id) AS customers
    FROM valid_lines l SEMI JOIN buyers b ON l.customer_id = b.customer_id
    WHERE l.product_id <> $product
    GROUP BY l.product_id
), top AS (
    SELECT co.product_id, p.name AS product_name, p.category, co.customers
    FROM co LEFT JOIN products p USING (product_id)
    WHERE coalesce(p.is_product, true)
    ORDER BY co.customers DESC, co.product_id
    LIMIT $limit
), popularity AS (     -- buyers of the listed products (kept per product by every import)
    SELECT product_id, buyers AS buyers_all
    FROM product_sales WHERE product_id IN (SELECT product_id FROM top)
)
SELECT t.product_id, t.product_name, t.category, t.customers,
       t.customers / (SELECT count(*) FROM buyers) AS share,
       (t.customers / (SELECT count(*) FROM buyers))
         / (pop.buyers_all / (SELECT count(DISTINCT customer_id) FROM valid_lines WHERE customer_id IS NOT NULL))
         AS lift
FROM top t JOIN popularity pop USING (product_id)
ORDER BY t.customers DESC, t.product_id
