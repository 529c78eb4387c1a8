"""Speed at shop scale: every manager metric versus pandas, every page in AppTest, and the app's peak memory.

For each size (1M and 10M order lines; $BENCH_LINES to change) on the cached demo shop (bench/_util.demo_db):
- metrics: summary, retention (month, week), repurchase, repeat_within, time_to_second (+ median), rfm through
  `recs.metrics` (best of 3 runs) versus the same definitions in pandas (bench/_pandas_metrics, best of 3 at 1M and
  one run at 10M, lines already in memory). Targets: >= 5x faster than pandas, each under 2 s at 10M. Wall and CPU seconds are both printed:
  on a shared machine other processes stretch wall time but not CPU time.
- pages: in a separate process, `streamlit.testing.v1.AppTest` opens app.py with REPEAT_DB set, renders every
  page once (first render, cold caches) and again (cached rerun). The orders-table refresh every import pays is
  timed on a scratch copy. Targets at 10M: first < 5 s, rerun < 1 s.
- memory: the peak resident memory of that page-sweep process (target < 4 GB at 10M).
- pages in a browser (bench/_browser_pages.py): every page served by `python -m recs serve` and opened in headless
  Chromium, first visit (fresh server) and warm (second visit), until the script finished and every chart drew;
  printed beside the AppTest figures with the ratio. Targets at 10M: first visit < 3 s, warm < 1.5 s.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from bench import _browser_pages
from bench._util import REPO, best_clock, demo_db, gb, label, load_average, run_child, sizes, table

SQL_TARGET_S = 2.0
SPEEDUP_TARGET = 5.0
FIRST_RENDER_S = 5.0
RERUN_S = 1.0
MEMORY_TARGET = 4e9
TIMEOUT = 1800.0


def metric_cases(con, lines, pm) -> list[tuple[str, object, object]]:
    """(name, Repeat call, pandas call) for every manager metric."""
    from recs import metrics

    days = [30.0, 60.0, 90.0]
    return [
        ("summary", lambda: metrics.summary(con), lambda: pm.summary(lines)),
        ("retention month", lambda: metrics.retention(con, "month"), lambda: pm.retention(lines, "month")),
        ("retention week", lambda: metrics.retention(con, "week"), lambda: pm.retention(lines, "week")),
        ("repurchase month", lambda: metrics.repurchase(con, "month"), lambda: pm.repurchase(lines, "month")),
        ("repeat_within 30/60/90", lambda: metrics.repeat_within(con, days), lambda: pm.repeat_within(lines, days)),
        ("time_to_second", lambda: metrics.time_to_second(con), lambda: pm.pairs(lines)),
        ("time_to_second median", lambda: metrics.time_to_second_median(con), lambda: pm.time_to_second_median(lines)),
        ("rfm", lambda: metrics.rfm(con), lambda: pm.rfm(lines)),
    ]


def metrics_child(db: str) -> list[dict]:
    """Child: time every metric in SQL and in pandas, best of 3 each (best of 3 and 1 run at 10 M, where one
    pandas run takes 6-14 s); row counts as a sanity check."""
    from bench import _pandas_metrics as pm
    from recs.db import connect

    con = connect(db)
    lines = pm.load_lines(con)
    pandas_runs = 3 if len(lines) < 5_000_000 else 1
    out = []
    for name, ours, theirs in metric_cases(con, lines, pm):
        kept: list = []
        sql = best_clock(lambda ours=ours, kept=kept: kept.append(ours()), 3)
        sql_rows = len(kept[-1])
        refs: list = []
        pandas = best_clock(lambda theirs=theirs, refs=refs: refs.append(theirs()), pandas_runs)
        ref = refs[-1]
        out.append({"metric": name, "sql_s": sql.wall, "sql_cpu": sql.cpu, "pandas_s": pandas.wall,
                    "pandas_cpu": pandas.cpu, "rows_agree": sql_rows == (1 if isinstance(ref, dict) else len(ref))})
    con.close()
    return out


def refresh_child(db: str) -> dict:
    """Child: the cost every import and demo write pays to keep the `orders` table (on a scratch copy)."""
    import shutil
    import tempfile

    from bench._util import Clock
    from recs.db import connect, refresh_derived

    with tempfile.TemporaryDirectory() as tmp:
        copy = f"{tmp}/scratch.duckdb"
        shutil.copy(db, copy)
        con = connect(copy)
        con.execute("BEGIN TRANSACTION")
        with Clock() as clock:
            refresh_derived(con)
        con.execute("COMMIT")
        orders = con.execute("SELECT count(*) FROM orders").fetchone()[0]
        con.close()
    return {"seconds": clock.wall, "cpu": clock.cpu, "orders": orders}


def page_files() -> list[str]:
    """The pages the app navigates to (pages/parts/frame.py), in its order (files that do not exist yet are skipped)."""
    text = (REPO / "pages" / "parts" / "frame.py").read_text(encoding="utf-8")
    return [p for p in re.findall(r'st\.Page\("([^"]+\.py)"', text) if (REPO / p).exists()]


def pages_child(db: str) -> list[dict]:
    """Child: AppTest page sweep. The default page's first render includes the app's start."""
    import os

    from streamlit.testing.v1 import AppTest

    os.environ["REPEAT_DB"] = db
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    out = []
    for i, page in enumerate(page_files()):
        row = {"page": page}
        try:
            if i > 0:
                at.switch_page(page)
            started = time.perf_counter()
            at.run()
            row["first_s"] = time.perf_counter() - started
            row["first_error"] = _errors(at)
            started = time.perf_counter()
            at.run()
            row["rerun_s"] = time.perf_counter() - started
            row["rerun_error"] = _errors(at)
        except Exception as exc:  # a timeout or crash of one page is a finding, not the end of the sweep
            row["first_error"] = f"{type(exc).__name__}: {str(exc)[:120]}"
            at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
            at.run()
        out.append(row)
    return out


def _errors(at) -> str:
    if at.exception:
        return "; ".join(str(e.message)[:120] for e in at.exception)
    return ""


def metric_rows(lines: int, db: Path) -> list[dict]:
    res = run_child("bench.bench_scale:metrics_child", {"db": str(db)}, TIMEOUT)
    if not res.ok:
        return [{"lines": label(lines), "item": "metrics", "met": f"FAILED: {res.error}"}]
    refresh = run_child("bench.bench_scale:refresh_child", {"db": str(db)}, TIMEOUT)
    rows = []
    big = lines >= 10_000_000
    for r in res.value:
        ratio = r["pandas_s"] / r["sql_s"]
        met = ratio >= SPEEDUP_TARGET and (not big or r["sql_s"] < SQL_TARGET_S)
        rows.append({"lines": label(lines), "item": r["metric"], "repeat_s": r["sql_s"], "repeat_cpu": r["sql_cpu"],
                     "baseline_s": r["pandas_s"], "baseline_cpu": r["pandas_cpu"], "speedup": ratio,
                     "cpu_speedup": r["pandas_cpu"] / r["sql_cpu"],
                     "target": ">= 5x pandas" + (", < 2 s" if big else ""),
                     "met": ("yes" if met else "NO") + ("" if r["rows_agree"] else " (row counts differ!)")})
    if refresh.ok:
        rows.append({"lines": label(lines), "item": f"(orders table refresh per import: {refresh.value['orders']:,} orders)",
                     "repeat_s": refresh.value["seconds"], "repeat_cpu": refresh.value["cpu"]})
    else:
        rows.append({"lines": label(lines), "item": "(orders table refresh)", "met": f"FAILED: {refresh.error}"})
    rows.append({"lines": label(lines), "item": "(metrics process peak memory)", "repeat_s": None,
                 "target": f"{gb(res.peak_rss)} incl. pandas copy of the lines", "met": ""})
    return rows


def page_rows(lines: int, db: Path) -> list[dict]:
    res = run_child("bench.bench_scale:pages_child", {"db": str(db)}, TIMEOUT)
    if not res.ok:
        return [{"lines": label(lines), "item": "pages", "met": f"FAILED: {res.error}"}]
    big = lines >= 10_000_000
    rows = []
    for r in res.value:
        first, rerun = r.get("first_s"), r.get("rerun_s")
        error = r.get("first_error") or r.get("rerun_error") or ""
        ok = first is not None and rerun is not None and first < FIRST_RENDER_S and rerun < RERUN_S and not error
        rows.append({"lines": label(lines), "item": f"page {Path(r['page']).stem}: first / rerun",
                     "repeat_s": first, "baseline_s": rerun, "target": "< 5 s / < 1 s" if big else "",
                     "met": ("yes" if ok else "NO") if big else ("" if not error else "error")})
        if error:
            rows[-1]["met"] += f" ({error})"
    rows.append({"lines": label(lines), "item": "app process peak memory (page sweep)", "repeat_s": None,
                 "target": f"{gb(res.peak_rss)} (< 4 GB)" if big else gb(res.peak_rss),
                 "met": ("yes" if res.peak_rss < MEMORY_TARGET else "NO") if big else ""})
    return rows


def main() -> None:
    rows: list[dict] = []
    browser: list[dict] = []
    for lines in sizes():
        db, _ = demo_db(lines)
        print(f"metrics at {label(lines)} lines (load {load_average()})...", flush=True)
        rows += metric_rows(lines, db)
        print(f"pages at {label(lines)} lines (load {load_average()})...", flush=True)
        pages = page_rows(lines, db)
        rows += pages
        print(f"pages in Chromium at {label(lines)} lines (load {load_average()})...", flush=True)
        browser += _browser_pages.browser_rows(lines, db, pages)
    print(table(rows, ["lines", "item", "repeat_s", "repeat_cpu", "baseline_s", "baseline_cpu", "speedup",
                       "cpu_speedup", "target", "met"]))
    print("metrics: baseline = pandas on the same lines; speedup = pandas / Repeat (wall), cpu_speedup the same on "
          "CPU seconds (all threads; robust on a busy machine). pages: repeat_s = first render, baseline_s = cached rerun (AppTest).")
    print()
    print(table(browser, _browser_pages.COLUMNS))
    print(_browser_pages.NOTE)


if __name__ == "__main__":
    main()
