-- The column names of `product_sales` in order (NULL when the table is missing). No parameters.
SELECT list(column_name ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'product_sales'
