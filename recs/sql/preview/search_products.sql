-- Products whose id starts with the text or whose name contains it (case-insensitive): id matches first, then
-- real products before postage and fees, then the most buyers. Parameters: $text, $limit.
SELECT p.product_id, p.name, p.category, coalesce(b.buyers, 0) AS buyers
FROM products p LEFT JOIN product_sales b USING (product_id)
WHERE starts_with(lower(p.product_id), lower($text)) OR contains(lower(coalesce(p.name, '')), lower($text))
ORDER BY starts_with(lower(p.product_id), lower($text)) DESC, p.is_product DESC, buyers DESC, p.product_id
LIMIT $limit
