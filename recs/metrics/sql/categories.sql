-- definition: the product categories that have at least one valid order line, alphabetically
SELECT DISTINCT p.category
FROM valid_lines AS l JOIN products AS p USING (product_id)
WHERE p.category IS NOT NULL
ORDER BY p.category
