-- metric categories: its definition, output columns and parameters are in categories.toml beside this file
SELECT DISTINCT p.category
FROM valid_lines AS l JOIN products AS p USING (product_id)
WHERE p.category IS NOT NULL
ORDER BY p.category
