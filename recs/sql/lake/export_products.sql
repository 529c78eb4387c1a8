-- lake/export_products: writes the products table as one Parquet file at $path (a few thousand rows: no partitions)
COPY (SELECT * FROM products ORDER BY product_id) TO $path (FORMAT parquet, COMPRESSION zstd)
