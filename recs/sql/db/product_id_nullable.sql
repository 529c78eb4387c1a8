-- 'YES' when order_lines.product_id may be NULL (orders-only imports); a database from before orders-only imports
-- says 'NO' and is upgraded by `db/allow_orders_only`.
SELECT is_nullable FROM information_schema.columns
WHERE table_schema = 'main' AND table_name = 'order_lines' AND column_name = 'product_id'
