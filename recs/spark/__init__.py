"""Repeat on Apache Spark: the same metric SQL and the same ALS, run on a cluster (or local[2]) over the lake.

- `lake.py`: `export_lake` (DuckDB -> Parquet by month) and the lake's expected columns; no pyspark needed.
- `session.py`: `start_spark(master)`: a SparkSession (local, spark://, or Spark Connect sc://) with clear errors.
- `transpile.py`: `to_spark_sql(duckdb_sql)`: the metric SQL, written once for DuckDB, as Spark SQL (SQLGlot).
- `engine.py`: `SparkEngine`, a connection-like object the metric functions run on unchanged (`execute(sql,
  params).df()`), reading the lake; `open_engine` for the CLI and the app.
- `als.py`: `train_spark_als`: Spark MLlib ALS on the lake, written as a normal Repeat model file.
pyspark is imported lazily, so the rest of Repeat works without it.
"""
