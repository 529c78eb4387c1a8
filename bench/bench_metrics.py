"""Metric SQL versus an independent pandas computation of the same definitions (tests/test_metrics_retail.py).

For each metric: the SQL through `recs.metrics` on a DuckDB warehouse, and the pandas oracle on the same lines
held in memory (reading files is not timed on either side; the pandas side does start from lines, as the SQL
does). Datasets: Online Retail (imported into a temporary warehouse) and a freshly generated demo shop.
Prints the best of 3 runs for each and the ratio pandas / SQL; the target is every SQL under 1 s on Online Retail.
"""

from __future__ import annotations

import importlib.util
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from recs import metrics
from recs.db import connect

REPO = Path(__file__).resolve().parents[1]
RETAIL_PARQUET = REPO.parent / "shared" / "datasets" / "online-retail" / "online_retail.parquet"
REPEATS = 3
TARGET_SECONDS = 1.0


def _oracle_module():
    spec = importlib.util.spec_from_file_location("metrics_oracle", REPO / "tests" / "test_metrics_retail.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _best(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def _lines_as_raw(con) -> pd.DataFrame:
    """A warehouse's order lines in the raw layout the oracle reads (for the demo shop, which has no raw file)."""
    raw = con.execute("SELECT order_id AS InvoiceNo, customer_id AS customer, ordered_at AS ts, quantity AS Quantity, "
                      "unit_price AS UnitPrice, country AS Country, status FROM order_lines").df()
    raw["customer"] = raw["customer"].astype(object).where(raw["customer"].notna(), None)
    raw["cancelled"] = raw["status"].isin(["cancelled", "returned"])
    raw["value"] = raw["Quantity"] * raw["UnitPrice"]
    raw["valid"] = (raw["Quantity"] > 0) & (raw["UnitPrice"] > 0) & ~raw["cancelled"]
    return raw


def _cases(con, raw: pd.DataFrame, oracle_cls) -> list[tuple[str, Callable, Callable]]:
    def pd_run(method: str, *args):
        return lambda: getattr(oracle_cls(raw), method)(*args)

    days = [30, 60, 90]
    return [
        ("summary", lambda: metrics.summary(con), pd_run("summary")),
        ("retention month", lambda: metrics.retention(con, "month"), pd_run("retention", "month")),
        ("retention week", lambda: metrics.retention(con, "week"), pd_run("retention", "week")),
        ("repurchase month", lambda: metrics.repurchase(con, "month"), pd_run("repurchase", "month")),
        ("repurchase week", lambda: metrics.repurchase(con, "week"), pd_run("repurchase", "week")),
        ("repeat_within 30,60,90", lambda: metrics.repeat_within(con, days), pd_run("repeat_within", days)),
        ("time_to_second", lambda: metrics.time_to_second(con), pd_run("pairs", "month")),
        ("time_to_second median", lambda: metrics.time_to_second_median(con), pd_run("time_to_second_median")),
        ("rfm", lambda: metrics.rfm(con), pd_run("rfm")),
    ]


def _table(dataset: str, con, raw: pd.DataFrame, oracle_cls) -> list[dict]:
    rows = []
    for name, sql_fn, pandas_fn in _cases(con, raw, oracle_cls):
        sql_s, pandas_s = _best(sql_fn), _best(pandas_fn)
        rows.append({"dataset": dataset, "metric": name, "sql_s": sql_s, "pandas_s": pandas_s,
                     "pandas/sql": pandas_s / sql_s, "sql<1s": "yes" if sql_s < TARGET_SECONDS else "NO"})
    return rows


def main() -> None:
    from recs.demo import generate_demo
    from recs.importer import import_files

    oracle = _oracle_module()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        if RETAIL_PARQUET.exists():
            print("importing Online Retail into a temporary warehouse...", flush=True)
            con = connect(Path(tmp) / "retail.duckdb")
            import_files(con, orders=RETAIL_PARQUET, fmt="online-retail")
            raw = oracle.load_raw(RETAIL_PARQUET)
            rows += _table("online-retail", con, raw, oracle.Oracle)
            con.close()
        else:
            print(f"Online Retail not found at {RETAIL_PARQUET}; skipping it")
        print("generating the demo shop...", flush=True)
        con = connect(Path(tmp) / "demo.duckdb")
        generate_demo(con)
        rows += _table("demo", con, _lines_as_raw(con), oracle.Oracle)
        con.close()
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 140, "display.max_columns", 10):
        print(table.to_string(index=False, formatters={
            "sql_s": "{:.3f}".format, "pandas_s": "{:.3f}".format, "pandas/sql": "{:.1f}x".format}))
    retail = table[table["dataset"] == "online-retail"]
    if len(retail):
        print(f"\nOnline Retail: slowest SQL {retail['sql_s'].max():.3f} s (target < {TARGET_SECONDS:.0f} s); "
              f"geometric-mean speed-up over pandas {np.exp(np.log(retail['pandas/sql']).mean()):.1f}x")


if __name__ == "__main__":
    main()
