-- 1 when the warehouse holds at least one valid order line, else 0 (stops at the first line).
SELECT count(*) FROM (SELECT 1 FROM valid_lines LIMIT 1)
