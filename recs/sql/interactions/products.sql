-- The real products (is_product) with every column rules and models read, by id. No parameters.
SELECT product_id, name, category, is_product, in_stock, unit_price
FROM products WHERE is_product ORDER BY product_id
