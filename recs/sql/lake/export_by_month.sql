-- lake/export_by_month: writes one warehouse table as Parquet under $path, one Hive folder per month of ordered_at
-- (month=YYYY-MM), the layout a cluster reads from an object store. Binds $path (a folder); the table name comes from the allowlist.
-- allow table: order_lines orders
COPY (SELECT *, strftime(ordered_at, '%Y-%m') AS month FROM {{table}})
TO $path (FORMAT parquet, PARTITION_BY (month), COMPRESSION zstd)
