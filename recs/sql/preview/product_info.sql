-- One product's catalogue fields and sales totals, one row even for a product never sold (zeros, NULL dates) or
-- not in the catalogue (NULL fields). Parameters: $product.
WITH sales AS (
    SELECT coalesce(max(buyers), 0) AS buyers, max(quantity) AS quantity, max(revenue) AS revenue,
           max(first_sold) AS first_sold, max(last_sold) AS last_sold, coalesce(max(lines), 0) AS lines
    FROM product_sales WHERE product_id = $product
),
product_orders AS (     -- distinct orders are not kept per product (the costliest total to refresh)
    SELECT count(DISTINCT order_id) AS orders FROM valid_lines WHERE product_id = $product
)
SELECT p.product_id, p.name, p.category, p.is_product, p.in_stock, p.unit_price,
       s.buyers, o.orders, s.quantity, s.revenue, s.first_sold, s.last_sold, s.lines
FROM sales s CROSS JOIN product_orders o LEFT JOIN (SELECT * FROM products WHERE product_id = $product) p ON true
