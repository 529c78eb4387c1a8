"""Starting Spark for Repeat: local[N], a standalone master (spark://), or Spark Connect (sc://), with plain errors.

Whatever goes wrong before the first query (no pyspark, no Java, a master that does not answer) becomes one
`RepeatError` line naming what is missing; the JVM's own logging is kept to errors, the progress bar off.
"""

from __future__ import annotations

import os
import shutil
import socket
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from recs.errors import InputError, RepeatError

DEFAULT_MASTER = "local[2]"
CONNECT_TIMEOUT_S = 5.0
# Settings every session gets: UTC so timestamps mean what DuckDB means, monthly partition names kept as text,
# no web UI, no console progress bar, quiet logs.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")


def check_master(master: str) -> str:
    """The master URL if its form is one Repeat supports (local, local[N], local[*], spark://, sc://)."""
    if master == "local" or (master.startswith("local[") and master.endswith("]")):
        return master
    parsed = urlparse(master)
    if parsed.scheme in ("spark", "sc") and parsed.hostname:
        return master
    raise InputError(f"--spark-master {master!r}: expected local[N], spark://HOST:PORT or sc://HOST:PORT")


def _answers(master: str) -> None:
    """Raise when the host:port of a spark:// or sc:// master does not accept a connection within a few seconds."""
    parsed = urlparse(master.split(",")[0])
    port = parsed.port or (15002 if parsed.scheme == "sc" else 7077)
    try:
        with socket.create_connection((parsed.hostname, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise InputError(f"Spark master {master} does not answer on {parsed.hostname}:{port} ({exc.strerror or exc})"
                         ) from exc


def _java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (home and os.path.exists(os.path.join(home, "bin", "java"))))


def first_line(exc: BaseException) -> str:
    """The first meaningful line of a Spark/Py4J error (never the Java stack trace below it)."""
    for line in str(exc).splitlines():
        line = line.strip()
        if line and not line.startswith(("at ", "JVM stacktrace", "Traceback")):
            return line[:300]
    return type(exc).__name__


def start_spark(master: str = DEFAULT_MASTER, app_name: str = "repeat") -> Any:
    """A SparkSession on `master` (reused if this process already has one on the same master)."""
    master = check_master(master)
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise InputError("Spark is not installed in this environment: pip install -r requirements.txt "
                         "(pyspark)") from exc
    if not master.startswith("sc://"):
        if not _java_available():
            raise InputError("Java not found: Spark needs Java 17 (make java, or apt-get install "
                             "openjdk-17-jre-headless, or set JAVA_HOME)")
    if master.startswith(("spark://", "sc://")):
        _answers(master)
    builder = SparkSession.builder.appName(app_name)
    builder = builder.remote(master) if master.startswith("sc://") else builder.master(master)
    conf = dict(SESSION_CONF)
    if master.startswith("local"):  # AQE coalesces anyway; on one machine a few shuffle partitions are enough
        conf["spark.sql.shuffle.partitions"] = "4"
    if not os.environ.get("REPEAT_SPARK_LOG"):  # kept beside any JVM options SESSION_CONF already sets
        java = f"{conf.get('spark.driver.extraJavaOptions', '')} -Dlog4j2.configurationFile=file:{LOG_CONFIG}"
        conf["spark.driver.extraJavaOptions"] = java.strip()
    for key, value in conf.items():
        if master.startswith("sc://") and not key.startswith("spark.sql."):
            continue
        builder = builder.config(key, value)
    # pyspark 4.3 warns that pandas 3 is "not yet fully supported": Repeat passes no pandas through Spark (results
    # come back as Arrow and DuckDB converts them), so the warning says nothing about this use
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    try:
        session = builder.getOrCreate()
        if not master.startswith("sc://"):
            session.sparkContext.setLogLevel("ERROR")
    except Exception as exc:  # the JVM did not start or the cluster refused us: one line, no Java trace
        raise RepeatError(f"Spark did not start on {master}: {first_line(exc)}") from exc
    return session
