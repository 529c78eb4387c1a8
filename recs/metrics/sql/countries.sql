-- definition: the countries that have at least one valid order line, alphabetically
SELECT DISTINCT country FROM valid_lines WHERE country IS NOT NULL ORDER BY country
