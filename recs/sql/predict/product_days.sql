-- Per known customer and real product, the days they bought it strictly before $cutoff (TIMESTAMP), with the gap
-- in days since their previous purchase of it (NULL for the first): the repurchase cycles "due to re-buy" reads.
-- Only pairs bought on two days or more. Parameters: $cutoff.
WITH days AS (
    SELECT DISTINCT l.customer_id, l.product_id, CAST(l.ordered_at AS DATE) AS day
    FROM valid_lines l LEFT JOIN products p USING (product_id)
    WHERE l.customer_id IS NOT NULL AND l.ordered_at < $cutoff AND coalesce(p.is_product, true)
)
SELECT customer_id, product_id, CAST($cutoff AS DATE) - day AS age,
       day - lag(day) OVER (PARTITION BY customer_id, product_id ORDER BY day) AS gap
FROM days
QUALIFY count(*) OVER (PARTITION BY customer_id, product_id) >= 2
ORDER BY customer_id, product_id, day
