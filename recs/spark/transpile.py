"""The metric SQL, written once in DuckDB's dialect, as Spark SQL: SQLGlot's transpiler, checked by the tests.

A construct that SQLGlot cannot carry over faithfully is rewritten in the metric's `.sql` file in a form both
engines read the same way (tests/test_spark_metrics.py runs every metric on both and compares), never forked
into a second file. Bound values stay bound: DuckDB's `$name` becomes Spark's named parameter `:name`.
"""

from __future__ import annotations

from functools import lru_cache

from recs.errors import RepeatError


@lru_cache(maxsize=256)
def to_spark_sql(duckdb_sql: str) -> str:
    """`duckdb_sql` (one statement) in Spark SQL; a statement SQLGlot cannot read is an error, never guessed."""
    import sqlglot
    from sqlglot.errors import ErrorLevel, SqlglotError

    try:
        statements = sqlglot.transpile(duckdb_sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RepeatError(f"this query cannot be carried over to Spark SQL: {first}") from exc
    if len(statements) != 1:
        raise RepeatError(f"expected one SQL statement to carry over to Spark, got {len(statements)}")
    return statements[0]
