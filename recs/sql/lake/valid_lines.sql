-- lake/valid_lines: the lake's valid_lines view, as recs/schema.sql defines it on the warehouse: real sales only
-- (positive quantity and price, not cancelled or returned). Written for DuckDB, transpiled for Spark.
SELECT *
FROM order_lines
WHERE quantity > 0 AND unit_price > 0 AND status NOT IN ('cancelled', 'returned')
