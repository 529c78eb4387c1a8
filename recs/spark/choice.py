"""Which engine computes the manager metrics: DuckDB on the warehouse file (default) or Spark on a lake.

The CLI says it with `--engine spark --lake PATH [--spark-master URL]`; the app with the environment
(`REPEAT_ENGINE=spark REPEAT_LAKE=PATH [REPEAT_SPARK_MASTER=URL]`). Both end in `open_engine`, and the metric
functions run unchanged on what it returns.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

from recs.errors import InputError
from recs.spark.session import DEFAULT_MASTER, check_master

ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class EngineChoice:
    """The engine asked for: `kind` duckdb or spark; for spark, the lake and the master URL."""

    kind: str = "duckdb"
    lake: str | None = None
    master: str = DEFAULT_MASTER

    @property
    def is_spark(self) -> bool:
        return self.kind == "spark"


def check_choice(kind: str | None, lake: str | None, master: str | None, where: str) -> EngineChoice:
    """An EngineChoice from raw option values (`where` names their source in messages: 'option' or 'environment')."""
    kind = (kind or "duckdb").strip().lower()
    if kind not in ENGINES:
        raise InputError(f"engine {kind!r} ({where}): expected duckdb or spark")
    if kind == "duckdb":
        return EngineChoice()
    if not lake:
        hint = "--lake PATH" if where == "option" else "REPEAT_LAKE=PATH"
        raise InputError(f"the Spark engine reads a lake: give {hint} (written by python -m recs export-lake)")
    return EngineChoice("spark", lake, check_master(master or DEFAULT_MASTER))


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """--engine, --lake and --spark-master, for a subcommand that can run on Spark."""
    parser.add_argument("--engine", choices=ENGINES, default="duckdb",
                        help="duckdb (the --db file, default) or spark (the --lake, see docs/scale-out.md)")
    parser.add_argument("--lake", help="the lake folder or URL that --engine spark reads (python -m recs export-lake)")
    parser.add_argument("--spark-master", dest="spark_master", default=DEFAULT_MASTER,
                        help="the Spark master for --engine spark: local[N] (default local[2]), spark://HOST:PORT or sc://HOST:PORT")


def choice_from_args(args: argparse.Namespace) -> EngineChoice:
    """The engine a command line asks for."""
    return check_choice(getattr(args, "engine", None), getattr(args, "lake", None),
                        getattr(args, "spark_master", None), "option")


def choice_from_env() -> EngineChoice:
    """The engine the app runs on, from REPEAT_ENGINE, REPEAT_LAKE and REPEAT_SPARK_MASTER."""
    return check_choice(os.environ.get("REPEAT_ENGINE"), os.environ.get("REPEAT_LAKE"),
                        os.environ.get("REPEAT_SPARK_MASTER"), "environment")


def app_engine():
    """The SparkEngine the app's manager pages draw from when REPEAT_ENGINE=spark, else None (DuckDB).

    One per process (`recs.spark.engine.open_engine` keeps it), shared by every browser session.
    """
    choice = choice_from_env()
    if not choice.is_spark:
        return None
    from recs.spark.engine import open_engine  # pyspark starts only when Spark is asked for

    return open_engine(choice.lake, choice.master)


def is_spark(cur: object) -> bool:
    """True for a SparkEngine handed around where a DuckDB cursor usually goes."""
    return getattr(cur, "kind", None) == "spark"
