"""Spark (local[2]) against DuckDB on one machine: every manager metric, ALS fit time, and ALS quality.

For each size (1M and 10M order lines; $BENCH_LINES to change) on the cached demo shop (bench/_util.demo_db):
- export the lake (`recs.spark.lake.export_lake`), open it on Spark local[2];
- every metric through `recs.metrics` on DuckDB and on Spark (best of 2 each; the first Spark run also compiles),
  printed with the ratio Spark / DuckDB (Spark pays its planning and task overhead on a small machine: > 1 is
  expected; the point of Spark is the data that does not fit one machine, docs/scale-out.md);
- what Spark did for all of them together, from its event log: tasks, input read, shuffle written, peak execution
  memory of a task (the figures docs/scale-out.md scales to a billion lines).
- ALS: `implicit` (our `als`) vs Spark MLlib ALS fit time on the same customer x product matrix (same factors,
  regularisation, alpha, iterations), as a ratio.
Then once: NDCG@10 of our `als` and of Spark ALS on Online Retail at cutoff 2011-09-01 (30-day horizon, modes
"all" and "new"), from the same split and scorer as `python -m recs evaluate`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from bench._util import CACHE, REPO, best_clock, demo_db, label, load_average, sizes, table

RETAIL = REPO.parent / "shared" / "datasets" / "online-retail" / "online_retail.parquet"
NDCG_CUTOFF = "2011-09-01"


def metric_calls(con) -> list[tuple[str, object]]:
    """(name, call on a connection or SparkEngine) for every manager metric the pages draw."""
    from recs import metrics

    days = [30.0, 60.0, 90.0]
    return [
        ("summary", lambda c: metrics.summary(c)),
        ("retention month", lambda c: metrics.retention(c, "month")),
        ("retention week", lambda c: metrics.retention(c, "week")),
        ("repurchase month", lambda c: metrics.repurchase(c, "month")),
        ("repeat_within 30/60/90", lambda c: metrics.repeat_within(c, days)),
        ("time_to_second", lambda c: metrics.time_to_second(c)),
        ("time_to_second median", lambda c: metrics.time_to_second_median(c)),
        ("rfm", lambda c: metrics.rfm(c)),
        ("monthly", lambda c: metrics.monthly(c)),
    ]


def event_log_figures(folder: Path) -> dict[str, float]:
    """What Spark did, from the event log files in `folder` (one JSON event per line): tasks, stages, the most
    tasks (partitions) of one stage, input read, shuffle written, bytes spilled, the largest peak execution memory
    of a task and the driver/executor JVM's peak heap (local mode: one JVM)."""
    import zstandard

    out = {"tasks": 0, "stages": 0, "max_stage_tasks": 0, "input_bytes": 0, "shuffle_write_bytes": 0,
           "spill_bytes": 0, "peak_task_memory": 0, "peak_jvm_heap": 0}
    for path in folder.rglob("events_*"):  # Spark 4 writes rolling logs, zstd-compressed: one folder per app
        raw = path.read_bytes()
        if path.suffix == ".zstd":
            raw = zstandard.ZstdDecompressor().stream_reader(raw).read()
        for line in raw.decode("utf-8", errors="replace").splitlines():
            if '"SparkListenerStageCompleted"' in line:
                out["stages"] += 1
                tasks = json.loads(line).get("Stage Info", {}).get("Number of Tasks", 0)
                out["max_stage_tasks"] = max(out["max_stage_tasks"], tasks)
            elif '"SparkListenerStageExecutorMetrics"' in line:
                heap = json.loads(line).get("Executor Metrics", {}).get("JVMHeapMemory", 0)
                out["peak_jvm_heap"] = max(out["peak_jvm_heap"], heap)
            elif '"SparkListenerTaskEnd"' in line:
                metrics = json.loads(line).get("Task Metrics") or {}
                out["tasks"] += 1
                out["input_bytes"] += metrics.get("Input Metrics", {}).get("Bytes Read", 0)
                out["shuffle_write_bytes"] += metrics.get("Shuffle Write Metrics", {}).get("Shuffle Bytes Written",
                                                                                            0)
                out["spill_bytes"] += metrics.get("Disk Bytes Spilled", 0)
                out["peak_task_memory"] = max(out["peak_task_memory"], metrics.get("Peak Execution Memory", 0))
    return out


def als_iterations(lines: int) -> int:
    """ALS sweeps for the fit-time comparison: our default 15, but 5 at 5 M lines and more (MLlib at 10 M would
    take over an hour on the shared 2-core machine); $BENCH_SPARK_ALS_ITERATIONS overrides. Both fits use it."""
    text = os.environ.get("BENCH_SPARK_ALS_ITERATIONS", "")
    if text.strip():
        return int(text)
    return 15 if lines < 5_000_000 else 5


def lake_bytes(lake: Path) -> int:
    return sum(p.stat().st_size for p in lake.rglob("*.parquet"))


def run_size(lines: int, events: Path) -> tuple[list[dict], dict]:
    from recs import db
    from recs.spark.engine import open_engine, stop_engines
    from recs.spark.lake import export_lake

    path, _ = demo_db(lines)
    lake = CACHE / f"lake-{lines}"
    con = db.connect(path, read_only=True)
    started = time.perf_counter()
    export_lake(con, lake)
    export_s = time.perf_counter() - started
    shutil.rmtree(events, ignore_errors=True)
    events.mkdir(parents=True)
    engine = open_engine(lake, "local[2]")
    rows = []
    runs = 2 if lines < 5_000_000 else 1  # at 10 M one Spark run of every metric already takes minutes
    for name, call in metric_calls(con):
        duck = best_clock(lambda call=call: call(con), 2)
        spark = best_clock(lambda call=call: call(engine), runs)
        rows.append({"lines": label(lines), "metric": name, "duckdb_s": round(duck.wall, 3),
                     "spark_s": round(spark.wall, 3), "spark/duckdb": round(spark.wall / max(duck.wall, 1e-9), 1)})
        print(f"  {label(lines)} {name}: duckdb {duck.wall:.3f} s, spark {spark.wall:.3f} s", flush=True)
    als_row = als_fit_times(con, engine, lines)
    con.close()
    stop_engines()
    figures = event_log_figures(events)
    figures.update({"lines": label(lines), "lake_bytes": lake_bytes(lake), "export_s": round(export_s, 1),
                    "partitions_month": len(list((lake / "order_lines").glob("month=*")))})
    return rows + [als_row], figures


def als_fit_times(con, engine, lines: int) -> dict:
    """Fit time of `implicit` ALS (our als) and of Spark MLlib ALS on the same matrix."""
    from recs.interactions import build_interactions
    from recs.models import get_model
    from recs.spark.als import spark_factors

    data = build_interactions(con)
    iterations = als_iterations(lines)
    ours = get_model("als", iterations=iterations)
    started = time.perf_counter()
    ours.fit(data)
    implicit_s = time.perf_counter() - started
    started = time.perf_counter()
    spark_factors(engine.session, data, get_model("als", iterations=iterations))
    spark_s = time.perf_counter() - started
    print(f"  {label(lines)} ALS fit ({iterations} sweeps): implicit {implicit_s:.2f} s, Spark MLlib {spark_s:.2f} s",
          flush=True)
    return {"lines": label(lines), "metric": f"ALS fit, {iterations} sweeps ({data.matrix.nnz:,} cells)",
            "duckdb_s": round(implicit_s, 3),
            "spark_s": round(spark_s, 3), "spark/duckdb": round(spark_s / implicit_s, 1)}


def ndcg_comparison() -> list[dict]:
    """NDCG@10 of our als and of Spark ALS on Online Retail at NDCG_CUTOFF (the evaluation's split and scorer)."""
    from recs import db
    from recs.evaluation.scoring import Scorer, model_lists
    from recs.evaluation.split import MODES, temporal_split
    from recs.evaluation.training_data import WarehouseData
    from recs.importer import import_files
    from recs.models import get_model
    from recs.spark.als import SparkFactorsALS, spark_factors
    from recs.spark.session import start_spark

    path = CACHE / "retail.duckdb"
    if not path.exists():
        con = db.connect(path)
        import_files(con, orders=RETAIL, fmt="online-retail")
        con.close()
    con = db.connect(path, read_only=True)
    split = temporal_split(con, NDCG_CUTOFF, 30)
    data = WarehouseData(con, NDCG_CUTOFF).get("binary")
    scorer = Scorer(split, data, 10)
    ours = get_model("als").fit(data)
    plain = get_model("als")
    spark = SparkFactorsALS(spark_factors(start_spark("local[2]"), data, plain), **plain.get_params()).fit(data)
    rows = []
    for mode in MODES:
        for name, model in (("als (implicit)", ours), ("Spark MLlib ALS", spark)):
            scores = scorer.score(model_lists(model, scorer.customers(mode), 10, mode), mode)
            rows.append({"model": name, "mode": mode, "ndcg@10": round(scores["ndcg"], 4),
                         "customers": scores["customers"]})
    con.close()
    return rows


def main() -> None:
    from recs.spark import session

    events = CACHE / "spark-events"
    session.SESSION_CONF.update({"spark.eventLog.enabled": "true", "spark.eventLog.dir": f"file://{events}",
                                 "spark.eventLog.logStageExecutorMetrics": "true",
                                 # local mode runs the executors in the driver JVM: 1 GB by default, 4 GB here so
                                 # the 10 M run measures work, not spilling (the figures report the peak heap used)
                                 "spark.driver.memory": os.environ.get("BENCH_SPARK_MEMORY", "4g")})
    print(f"  load average at start: {load_average()} (2 cores)", flush=True)
    rows, figures = [], []
    for lines in sizes():
        r, f = run_size(lines, events)
        rows += r
        figures.append(f)
        print(f"  {label(lines)} Spark work: {json.dumps(f)} (load average {load_average()})", flush=True)
    print(table(rows, ["lines", "metric", "duckdb_s", "spark_s", "spark/duckdb"]))
    print("\nSpark's work for all metrics above (2 runs each at 1M, 1 at 10M), from its event log:")
    print(table(figures, ["lines", "lake_bytes", "partitions_month", "export_s", "tasks", "stages", "max_stage_tasks",
                          "input_bytes", "shuffle_write_bytes", "spill_bytes", "peak_task_memory", "peak_jvm_heap"]))
    print(f"\nNDCG@10 on Online Retail at {NDCG_CUTOFF} (30-day horizon):")
    print(table(ndcg_comparison()))
    print(f"  load average at end: {load_average()}", flush=True)
    if os.environ.get("BENCH_SPARK_JSON"):
        Path(os.environ["BENCH_SPARK_JSON"]).write_text(json.dumps({"rows": rows, "figures": figures}, indent=2))
