-- The whole catalogue (real products and postage, fees and other non-products) for the serving bundle: an order
-- posted to the service is checked against it. No parameters.
SELECT product_id, name, category, is_product, in_stock, unit_price FROM products ORDER BY product_id
