-- Per known customer, the category mix of the valid product lines strictly before $cutoff (TIMESTAMP): how many
-- categories and products they bought and the share of their spend in their top category. Parameters: $cutoff.
WITH spend AS (
    SELECT l.customer_id, coalesce(p.category, '') AS category, l.product_id, l.quantity * l.unit_price AS value
    FROM valid_lines l LEFT JOIN products p USING (product_id)
    WHERE l.customer_id IS NOT NULL AND l.ordered_at < $cutoff AND coalesce(p.is_product, true)
), per_category AS (
    SELECT customer_id, category, round(sum(value), 6) AS value FROM spend GROUP BY customer_id, category
), products_bought AS (
    SELECT customer_id, count(DISTINCT product_id) AS products FROM spend GROUP BY customer_id
)
SELECT c.customer_id, count(*) AS categories, round(max(c.value) / nullif(sum(c.value), 0), 9) AS top_category_share,
       any_value(b.products) AS products
FROM per_category c JOIN products_bought b USING (customer_id)
GROUP BY c.customer_id
ORDER BY c.customer_id
