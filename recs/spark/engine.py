"""`SparkEngine`: the lake on Spark, behind the same `execute(sql, params).df()` the metric functions call.

`recs.metrics.queries` runs every figure through `recs.metrics.loader.run(con, name, params)`, which calls
`con.execute(sql, params).df()`. Handing it a `SparkEngine` instead of a DuckDB cursor runs the same metric file on
Spark: the DuckDB SQL is transpiled once (`to_spark_sql`), the values stay bound (Spark named parameters), the lake's
tables are temporary views (`valid_lines` included, from `recs/sql/lake/valid_lines.sql`), and only the metric's
result comes back, through Arrow, converted to pandas by DuckDB exactly as a DuckDB result is (same dtypes, so the
same CSV bytes).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from recs import sql
from recs.errors import InputError, RepeatError
from recs.spark.lake import LAKE_COLUMNS, MANIFEST, read_manifest, table_path
from recs.spark.session import DEFAULT_MASTER, first_line, start_spark
from recs.spark.transpile import to_spark_sql

_TYPE_ALIASES = {"timestamp": "timestamp_ntz"}  # a lake written by another tool may store zoned timestamps


def _bound(value: Any) -> Any:
    """A parameter value as Spark binds it: timestamps as naive datetimes (the session is UTC), lists as arrays."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _naive(table: pa.Table) -> pa.Table:
    """Zoned timestamps (Spark's TIMESTAMP) as naive UTC, the way DuckDB returns a TIMESTAMP."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            naive = table.column(i).cast(pa.timestamp(field.type.unit, tz="UTC")).cast(pa.timestamp(field.type.unit))
            table = table.set_column(i, pa.field(field.name, naive.type), naive)
    return table


class SparkResult:
    """A finished Spark query's result, read like a DuckDB result (`df()`, `fetchall()`)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def df(self) -> pd.DataFrame:
        """The result as pandas, converted by DuckDB (the dtypes a DuckDB cursor's `.df()` gives)."""
        with duckdb.connect() as con:
            return con.from_arrow(self.table).df()

    def fetchall(self) -> list[tuple]:
        return [tuple(row.values()) for row in self.table.to_pylist()]


class SparkEngine:
    """The lake's tables as views on a SparkSession; `execute` runs DuckDB-dialect SQL there."""

    kind = "spark"

    def __init__(self, session: Any, lake: str, master: str, manifest: dict[str, Any]) -> None:
        self.session = session
        self.lake = lake
        self.master = master
        self.manifest = manifest
        self._lock = threading.Lock()

    @property
    def orders_version(self) -> int:
        """The warehouse's orders_version when the lake was exported (-1 when the lake has no manifest)."""
        return int(self.manifest.get("orders_version", -1))

    @property
    def label(self) -> str:
        """Which engine computed a figure, for a page caption: e.g. 'Spark local[2], lake /data/lake'."""
        return f"Spark {self.master}, lake {self.lake}"

    def cursor(self) -> SparkEngine:
        """Itself: Spark sessions are shared safely between threads (pages ask for a cursor per rerun)."""
        return self

    def close(self) -> None:
        """Nothing to release per caller; the session lives for the process (`stop_engine` ends it)."""

    def execute(self, duckdb_sql: str, params: dict[str, Any] | None = None) -> SparkResult:
        """Run `duckdb_sql` on Spark with `params` bound; returns the whole (aggregate) result."""
        spark_sql = to_spark_sql(duckdb_sql)
        args = {k: _bound(v) for k, v in (params or {}).items()}
        try:
            frame = self.session.sql(spark_sql, args=args)
            table = frame.toArrow()
        except Exception as exc:
            raise RepeatError(f"Spark could not run the query: {first_line(exc)}") from exc
        return SparkResult(_naive(table))


def _check_local_tables(lake: str, has_manifest: bool) -> None:
    """For a lake on this machine: every table folder/file is there (InputError naming the first missing one)."""
    if "://" in lake:
        return
    missing = [t for t in LAKE_COLUMNS if not Path(table_path(lake, t)).exists()]
    if missing and not has_manifest and len(missing) == len(LAKE_COLUMNS):
        raise InputError(f"lake {lake}: no {MANIFEST} and no tables; write it with python -m recs export-lake "
                         "--db DB --out PATH")
    if missing:
        raise InputError(f"lake {lake}: table {missing[0]} is missing (no {table_path(lake, missing[0])}); "
                         "write the lake with python -m recs export-lake")


def _register(session: Any, lake: str) -> None:
    """Each lake table as a temporary view, its columns checked against LAKE_COLUMNS; then `valid_lines`."""
    local = "://" not in lake
    for table, expected in LAKE_COLUMNS.items():
        path = table_path(lake, table)
        if local and not Path(path).exists():
            raise InputError(f"lake {lake}: table {table} is missing (no {path}); "
                             "write the lake with python -m recs export-lake")
        try:
            frame = session.read.parquet(path)
            found = {f.name: f.dataType.simpleString() for f in frame.schema.fields}
        except Exception as exc:
            raise InputError(f"lake {lake}: table {table} cannot be read: {first_line(exc)}") from exc
        problems = [f"no column {c}" for c in expected if c not in found]
        problems += [f"column {c} is {found[c]}, expected {t}" for c, t in expected.items()
                     if c in found and _TYPE_ALIASES.get(found[c], found[c]) != t]
        if problems:
            raise InputError(f"lake {lake}: table {table} has a different schema: {'; '.join(problems)}")
        frame.createOrReplaceTempView(table)
    session.sql(to_spark_sql(sql.load("lake/valid_lines"))).createOrReplaceTempView("valid_lines")


_ENGINES: dict[tuple[str, str], SparkEngine] = {}
_ENGINES_LOCK = threading.Lock()


def _lake_key(lake: str | Path) -> str:
    return str(lake).rstrip("/") if "://" in str(lake) else str(Path(lake).resolve())


def open_engine(lake: str | Path, master: str = DEFAULT_MASTER) -> SparkEngine:
    """A SparkEngine over `lake` on `master` (one per lake and master in this process, reused)."""
    lake = _lake_key(lake)
    with _ENGINES_LOCK:
        engine = _ENGINES.get((lake, master))
        if engine is None:
            manifest = read_manifest(lake)
            _check_local_tables(lake, bool(manifest))  # before paying for a JVM
            session = start_spark(master)
            if any(e.session is session for e in _ENGINES.values()):  # views are per session: one per lake
                session = session.newSession()
            _register(session, lake)
            engine = _ENGINES[(lake, master)] = SparkEngine(session, lake, master, manifest)
        return engine


@contextmanager
def engine_for_command(lake: str | Path, master: str = DEFAULT_MASTER) -> Iterator[SparkEngine]:
    """open_engine for one command (the CLI): afterwards Spark is stopped if this command was the one to start it,
    and left running for whoever else opened it in this process (the app, a test session)."""
    with _ENGINES_LOCK:
        already = bool(_ENGINES)
    engine = open_engine(lake, master)
    try:
        yield engine
    finally:
        if not already:
            stop_engines()


def stop_engines() -> None:
    """Stop the Spark sessions this process started (the CLI at exit, the tests at the end)."""
    with _ENGINES_LOCK:
        sessions = {id(e.session): e.session for e in _ENGINES.values()}
        _ENGINES.clear()
    for session in sessions.values():
        session.stop()
