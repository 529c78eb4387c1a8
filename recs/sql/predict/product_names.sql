-- Every product's name (NULL when unknown), by id: the due product's name in a "due to re-buy" campaign list.
-- No parameters.
SELECT product_id, name AS product_name FROM products ORDER BY product_id
