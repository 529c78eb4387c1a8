"""A real cluster URL, not only local mode: `spark://` and `sc://` (Spark Connect) give what the DuckDB engine gives.

The module starts, from the pinned PySpark's own scripts, a standalone master and one worker (2 cores, 2 GB) on free
ports, and a Spark Connect server running on that master; it waits for states (the master's JSON lists the worker
ALIVE, the Connect port accepts), never a fixed time, and stops them all at the end, also on failure. Through each
URL, `python -m recs metrics repurchase` writes the DuckDB CSV's bytes and `python -m recs train --engine spark`
stores a Repeat `als` model file.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyspark  # pinned in requirements.txt: a venv without it fails here, never skips
import pytest

from tests.conftest import REPO

SPARK_HOME = Path(pyspark.__file__).parent
START_TIMEOUT_S = 300.0  # a JVM starting on a loaded 2-core machine: the wait ends as soon as the state is reached
CONNECT_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Every JVM here (master, worker, executors, drivers) compiles with C1 only: in a run this short the optimising
# compiler costs more CPU than it saves (as in test_spark_metrics.py); results are the same.
C1_ONLY = "-XX:TieredStopAtLevel=1"


def _env() -> dict[str, str]:
    """The daemons' and drivers' environment: loopback only, no REST submission port, C1-only JVMs."""
    return {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false", "SPARK_DAEMON_JAVA_OPTS": C1_ONLY,
            "SPARK_SUBMIT_OPTS": f"{C1_ONLY} -Dspark.executor.extraJavaOptions={C1_ONLY}", "PYTHONPATH": str(REPO)}


def _start(args: list[str], log: Path) -> subprocess.Popen:
    """A Spark daemon in its own process group (so stopping it also stops the executors it launched)."""
    with log.open("wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=_env(), cwd=log.parent,
                                start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class Cluster:
    master: str
    connect: str
    ui_port: int
    connect_port: int
    daemons: dict[str, tuple[subprocess.Popen, Path]]

    def wait_for(self, ready: Callable[[], bool], what: str) -> None:
        """Poll `ready` until it is true; fail at once (with the log's tail) if a daemon died, or after
        START_TIMEOUT_S."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while not ready():
            for name, (proc, log) in self.daemons.items():
                if proc.poll() is not None:
                    pytest.fail(f"the Spark {name} exited ({proc.returncode}) while waiting for {what}:\n"
                                + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} after {START_TIMEOUT_S:.0f} s")
            time.sleep(0.5)

    def workers_alive(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=5) as reply:
                state = json.load(reply)
        except OSError:
            return False
        return any(w.get("state") == "ALIVE" for w in state.get("workers", []))

    def connect_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.connect_port), timeout=2):
                return True
        except OSError:
            return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("spark-cluster")
    ui_port, connect_port, master_port = free_port(), free_port(), free_port()
    master = f"spark://127.0.0.1:{master_port}"
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    plan = {
        "master": [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                   "--port", str(master_port), "--webui-port", str(ui_port)],
        "worker": [spark_class, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                   "--port", str(free_port()), "--webui-port", str(free_port()), "--cores", "2", "--memory", "2g",
                   "--work-dir", str(root / "work"), master],
        # the Connect server is an application of the same cluster: one core, so a spark:// driver gets the other
        "connect server": [str(SPARK_HOME / "bin" / "spark-submit"), "--class", CONNECT_CLASS, "--master", master,
                           "--name", "repeat-connect-test", "--conf", f"spark.connect.grpc.binding.port={connect_port}",
                           "--conf", "spark.connect.grpc.binding.address=127.0.0.1", "--conf", "spark.cores.max=1",
                           "--conf", "spark.executor.memory=512m", "--conf", "spark.ui.enabled=false"],
    }
    daemons: dict[str, tuple[subprocess.Popen, Path]] = {}
    try:
        for name, args in plan.items():
            log = root / f"{name.replace(' ', '-')}.log"
            daemons[name] = (_start(args, log), log)
        found = Cluster(master, f"sc://127.0.0.1:{connect_port}", ui_port, connect_port, daemons)
        found.wait_for(found.workers_alive, "worker ALIVE on the master")
        yield found
    finally:
        for proc, _ in reversed(list(daemons.values())):
            _stop(proc)


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> tuple[Path, Path, bytes]:
    """A 600-customer demo shop, its lake (both through the CLI) and the DuckDB engine's repurchase CSV."""
    root = tmp_path_factory.mktemp("cluster-shop")
    db, lake, csv = root / "demo.duckdb", root / "lake", root / "duckdb.csv"
    for args in (["demo", "--db", str(db), "--customers", "600", "--quiet"],
                 ["export-lake", "--db", str(db), "--out", str(lake)],
                 ["metrics", "repurchase", "--db", str(db), "--out", str(csv)]):
        subprocess.run([sys.executable, "-m", "recs", *args], check=True, cwd=REPO, capture_output=True)
    return db, lake, csv.read_bytes()


# One driver process runs both commands (the CLI's own `main`): the engine is opened first, so the commands share
# it instead of each starting a driver JVM and an executor (minutes on a loaded machine).
CHILD = """
import sys
from recs.cli import main
from recs.spark.engine import open_engine, stop_engines
lake, master, db, out = sys.argv[1:5]
open_engine(lake, master)
try:
    code = main(["metrics", "repurchase", "--engine", "spark", "--lake", lake, "--spark-master", master,
                 "--out", out])
    code = code or main(["train", "--engine", "spark", "--lake", lake, "--spark-master", master, "--db", db,
                         "--model", "als", "--param", "factors=8", "--param", "iterations=3", "--quiet"])
finally:
    stop_engines()
sys.exit(code)
"""


def _metric_and_train_through(master: str, shop: tuple[Path, Path, bytes], tmp_path: Path) -> None:
    from recs.models import get_class
    from recs.models.store import list_runs, load_run

    db, lake, duckdb_csv = shop
    db_copy, out = tmp_path / "shop.duckdb", tmp_path / "spark.csv"
    db_copy.write_bytes(db.read_bytes())
    result = subprocess.run([sys.executable, "-c", CHILD, str(lake), master, str(db_copy), str(out)], cwd=REPO,
                            env=_env(), capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    assert out.read_bytes() == duckdb_csv
    assert "trained als on Spark" in result.stdout, result.stdout
    runs = list_runs(db_copy)
    assert len(runs) == 1
    run = load_run(db_copy, runs[0].run_id)
    assert type(run.model) is get_class("als") and run.extra.get("spark_master") == master
    assert run.model.user_factors_.shape == (run.customers, 8)
    assert len(run.model.recommend(k=5)) > 0


def test_standalone_master_gives_the_duckdb_csv_and_a_model(cluster: Cluster, shop, tmp_path) -> None:
    _metric_and_train_through(cluster.master, shop, tmp_path)


def test_spark_connect_gives_the_duckdb_csv_and_a_model(cluster: Cluster, shop, tmp_path) -> None:
    cluster.wait_for(cluster.connect_answers, "Spark Connect server answering")
    _metric_and_train_through(cluster.connect, shop, tmp_path)
