"""Recommender quality and speed on Online Retail: every registry model against independent baselines.

Online Retail is imported into a temporary warehouse. At each cutoff (2011-08-01, 2011-09-01, 2011-10-01) with a
30-day horizon, every registry model is fitted on lines before the cutoff (recs.evaluation) and the baselines of
bench/baselines.py (written without recs code; their training lines come from this file's own SQL) are fitted on
the same history. Both produce top-10 lists that the SAME scorer (recs.evaluation.scoring.Scorer over the same
temporal_split) turns into NDCG@10 in the "new" and "all" modes. Printed: one row per (cutoff, model), the ratio
best Repeat model / best baseline per cutoff and mode (targets: new >= 1.10, all >= 1.05), fit seconds and the
time to recommend for every customer (at the middle cutoff), and the 95 % interval of each ratio from the paired
per-customer NDCG gap (how much of a ratio is the test window's noise).

Environment: BENCH_MODELS (comma list of registry models, default all), BENCH_CUTOFFS (comma list of dates),
BENCH_BASELINES (comma list of bench/baselines.py names, default all; "ease" alone costs as much as the hybrid).
Last: every model's paired gap to the best of its cutoff and mode, with its 95 % interval.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from bench import baselines
from recs.db import connect
from recs.evaluation.compare import compare_to_best, paired_interval
from recs.evaluation.scoring import Scorer, model_lists
from recs.evaluation.split import temporal_split
from recs.evaluation.training_data import DataCache, load_lines
from recs.models import get_class, model_names

REPO = Path(__file__).resolve().parents[1]
RETAIL_PARQUET = REPO.parent / "shared" / "datasets" / "online-retail" / "online_retail.parquet"
CUTOFFS = ("2011-08-01", "2011-09-01", "2011-10-01")
HORIZON, K = 30, 10
TARGETS = {"new": 1.10, "all": 1.05}
TIMING_CUTOFF = "2011-09-01"

BASELINE_SQL = """
SELECT v.customer_id, v.product_id, v.order_id, v.ordered_at
FROM valid_lines v JOIN products p ON p.product_id = v.product_id
WHERE p.is_product AND v.customer_id IS NOT NULL AND v.ordered_at < ?
"""


def _env_list(name: str, default: list[str]) -> list[str]:
    text = os.environ.get(name, "")
    return [x.strip() for x in text.split(",") if x.strip()] or list(default)


def run_cutoff(con, cutoff: str, names: list[str], baseline_names: list[str] | None = None) -> list[dict]:
    """One row per model and baseline at `cutoff`: ndcg_new, ndcg_all, fit_s, recommend_all_s."""
    ts = pd.Timestamp(cutoff)
    split = temporal_split(con, ts, HORIZON)
    lines, products = load_lines(con, ts)
    cache = DataCache(lines, products, ts)
    scorer = Scorer(split, cache.get("binary"), K)
    rows = []
    for name in names:
        cls = get_class(name)
        started, cpu = time.perf_counter(), time.process_time()
        model = cls().fit(cache.get(getattr(cls, "default_weighting", "binary")))
        fit_s = time.perf_counter() - started
        row = {"cutoff": cutoff, "model": name, "kind": "repeat", "fit_s": fit_s,
               "fit_cpu_s": time.process_time() - cpu, "recommend_all_s": float("nan"),
               "recommend_all_cpu_s": float("nan"), "load": os.getloadavg()[0]}
        for mode in ("new", "all"):
            lists = model_lists(model, scorer.customers(mode), K, mode)
            scores, row[f"per_customer_{mode}"] = scorer.score_detail(lists, mode)
            row[f"ndcg_{mode}"] = scores["ndcg"]
        if cutoff == TIMING_CUTOFF:
            started, cpu = time.perf_counter(), time.process_time()
            model.recommend(None, k=K, reasons=False)
            row["recommend_all_s"] = time.perf_counter() - started
            row["recommend_all_cpu_s"] = time.process_time() - cpu
        rows.append(row)
        print(f"  {cutoff} {name:<12} new {row['ndcg_new']:.4f} all {row['ndcg_all']:.4f} fit {fit_s:.1f}s "
              f"(cpu {row['fit_cpu_s']:.1f}s, load {row['load']:.1f})", flush=True)
    base_lines = con.execute(BASELINE_SQL, [ts.to_pydatetime()]).df()
    for col in ("customer_id", "product_id", "order_id"):
        base_lines[col] = base_lines[col].astype(str)
    for name, cls in baselines.BASELINES.items():
        if baseline_names is not None and name not in baseline_names:
            continue
        row = {"cutoff": cutoff, "model": f"baseline:{name}", "kind": "baseline", "recommend_all_s": float("nan")}
        fit_total = cpu_total = 0.0
        for mode in ("new", "all"):
            started, cpu = time.perf_counter(), time.process_time()
            model = cls(baselines.tune_ease(base_lines, ts, mode)) if name == "ease" else cls()
            model.fit(base_lines)
            fit_total += time.perf_counter() - started
            cpu_total += time.process_time() - cpu
            lists = model.recommend(scorer.customers(mode), K, exclude_purchased=(mode == "new"))
            scores, row[f"per_customer_{mode}"] = scorer.score_detail(lists, mode)
            row[f"ndcg_{mode}"] = scores["ndcg"]
        row["fit_s"], row["fit_cpu_s"] = fit_total / 2, cpu_total / 2  # ease: includes the lambda search
        row["load"] = os.getloadavg()[0]
        rows.append(row)
        print(f"  {cutoff} {row['model']:<20} new {row['ndcg_new']:.4f} all {row['ndcg_all']:.4f}", flush=True)
    return rows


def ratios(table: pd.DataFrame) -> pd.DataFrame:
    """Best Repeat model / best baseline NDCG@10 per cutoff and mode, with the winners and the target verdict."""
    out = []
    for cutoff, g in table.groupby("cutoff"):
        for mode in ("new", "all"):
            col = f"ndcg_{mode}"
            ours = g[g["kind"] == "repeat"].sort_values(col, ascending=False).iloc[0]
            base = g[g["kind"] == "baseline"].sort_values(col, ascending=False).iloc[0]
            ratio = ours[col] / base[col] if base[col] > 0 else float("inf")
            # paired over the same test customers; the interval of the gap divided by the baseline's mean
            pairs = pd.concat([ours[f"per_customer_{mode}"], base[f"per_customer_{mode}"]], axis=1, join="inner")
            _, low, high = paired_interval(pairs.iloc[:, 0].to_numpy() - pairs.iloc[:, 1].to_numpy())
            scale = base[col] if base[col] > 0 else float("nan")
            out.append({"cutoff": cutoff, "mode": mode, "best_repeat": ours["model"], "ndcg": ours[col],
                        "best_baseline": base["model"], "baseline_ndcg": base[col], "ratio": ratio,
                        "ratio_low": 1 + low / scale, "ratio_high": 1 + high / scale,
                        "target": TARGETS[mode], "met": "yes" if ratio >= TARGETS[mode] else "NO"})
    return pd.DataFrame(out)


def gaps(table: pd.DataFrame) -> pd.DataFrame:
    """Every model's (and baseline's) paired per-customer NDCG gap to the best of its cutoff and mode, with the
    95 % interval (recs.evaluation.compare.compare_to_best)."""
    out = []
    for cutoff, g in table.groupby("cutoff"):
        per = {(row["model"], mode): row[f"per_customer_{mode}"] for _, row in g.iterrows() for mode in ("new", "all")}
        out.append(compare_to_best(per).assign(cutoff=cutoff))
    cols = ["cutoff", "mode", "model", "ndcg", "gap_to_best", "ci_low", "ci_high", "best"]
    return pd.concat(out)[cols] if out else pd.DataFrame(columns=cols)


def main() -> None:
    names = _env_list("BENCH_MODELS", model_names())
    cutoffs = _env_list("BENCH_CUTOFFS", list(CUTOFFS))
    baseline_names = _env_list("BENCH_BASELINES", list(baselines.BASELINES))
    with tempfile.TemporaryDirectory() as tmp:
        from recs.importer import import_files

        con = connect(Path(tmp) / "retail.duckdb")
        started = time.perf_counter()
        import_files(con, orders=RETAIL_PARQUET, fmt="online-retail")
        print(f"imported Online Retail in {time.perf_counter() - started:.1f} s", flush=True)
        rows = []
        for cutoff in cutoffs:
            rows.extend(run_cutoff(con, cutoff, names, baseline_names))
        con.close()
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 160)
    print("\nNDCG@10 (30-day horizon) and seconds; recommend_all_s measured at", TIMING_CUTOFF)
    print("(cpu columns: CPU seconds of the process, all threads; load: 1-minute load average at the fit's end)")
    print(table[["cutoff", "model", "ndcg_new", "ndcg_all", "fit_s", "fit_cpu_s", "recommend_all_s",
                 "recommend_all_cpu_s", "load"]]
          .to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print("\nBest Repeat model / best baseline (targets: new >= 1.10, all >= 1.05); ratio_low..ratio_high: 95 % "
          "interval of the ratio from the paired per-customer gap (the test window's own noise)")
    print(ratios(table).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print("\nEvery model's paired NDCG@10 gap to the best model of its cutoff and mode (ci_low..ci_high: 95 % interval)")
    print(gaps(table).to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
