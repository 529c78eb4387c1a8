-- Let order lines have no product (orders-only imports: every manager metric works without products).
ALTER TABLE order_lines ALTER COLUMN product_id DROP NOT NULL
