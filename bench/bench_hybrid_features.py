"""Does an optional feature help the hybrid? Judged on validation windows only, never on the test windows.

Online Retail is imported into a temporary warehouse. For each validation cutoff V (default 2011-08-01,
2011-09-01, 2011-10-01) the hybrid is fitted on lines before V - 30 days and scored on the purchases in
[V - 30 days, V) with the evaluation's scorer (NDCG@10, "new" and "all" modes), as `recs.evaluation.tuning` does:
once with its defaults and once per variant (a switch turned on). Printed per window and variant: NDCG@10 in both
modes, the paired per-customer gap to the defaults with its 95 % interval, and fit CPU seconds.

Environment: BENCH_CUTOFFS (comma list of dates), BENCH_VARIANTS (comma list of switches, default
rebuy_feature,upcf_feature).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from bench.bench_models import RETAIL_PARQUET
from recs.db import connect
from recs.evaluation.compare import paired_interval
from recs.evaluation.scoring import Scorer, model_lists
from recs.evaluation.split import split_frames
from recs.evaluation.training_data import DataCache, load_lines
from recs.models import get_model

CUTOFFS = ("2011-08-01", "2011-09-01", "2011-10-01")
VARIANTS = ("rebuy_feature", "upcf_feature")
HORIZON, K = 30, 10


def _env_list(name: str, default: tuple[str, ...]) -> list[str]:
    return [x.strip() for x in os.environ.get(name, "").split(",") if x.strip()] or list(default)


def validation_rows(con, cutoff: str, variants: list[str]) -> list[dict]:
    """One row per variant (the defaults first) on the validation window before `cutoff`."""
    ts = pd.Timestamp(cutoff)
    start = ts - pd.Timedelta(days=HORIZON)
    lines, products = load_lines(con, ts)
    when = pd.to_datetime(lines["ordered_at"])
    train, valid = lines[when < start], lines[when >= start]
    cache = DataCache(train, products, start)
    scorer = Scorer(split_frames(train, valid, start, ts), cache.get("binary"), K)
    rows, base = [], {}
    for variant in ["defaults", *variants]:
        params = {} if variant == "defaults" else {variant: True}
        cpu = time.process_time()
        model = get_model("hybrid", **params).fit(cache.get("binary"))
        row = {"window_before": cutoff, "variant": variant, "fit_cpu_s": time.process_time() - cpu}
        for mode in ("new", "all"):
            lists = model_lists(model, scorer.customers(mode), K, mode)
            scores, per = scorer.score_detail(lists, mode)
            row[f"ndcg_{mode}"] = scores["ndcg"]
            if variant == "defaults":
                base[mode] = per
            pair = pd.concat([per, base[mode]], axis=1, join="inner")
            gap, low, high = paired_interval(pair.iloc[:, 0].to_numpy() - pair.iloc[:, 1].to_numpy())
            row[f"gap_{mode}"], row[f"low_{mode}"], row[f"high_{mode}"] = gap, low, high
        rows.append(row)
        print(f"  {cutoff} {variant:<14} new {row['ndcg_new']:.4f} ({row['gap_new']:+.4f}) all {row['ndcg_all']:.4f} "
              f"({row['gap_all']:+.4f}) fit cpu {row['fit_cpu_s']:.1f}s", flush=True)
    return rows


def main() -> None:
    cutoffs, variants = _env_list("BENCH_CUTOFFS", CUTOFFS), _env_list("BENCH_VARIANTS", VARIANTS)
    with tempfile.TemporaryDirectory() as tmp:
        from recs.importer import import_files

        con = connect(Path(tmp) / "retail.duckdb")
        import_files(con, orders=RETAIL_PARQUET, fmt="online-retail")
        rows = [row for cutoff in cutoffs for row in validation_rows(con, cutoff, variants)]
        con.close()
    pd.set_option("display.width", 180)
    print("\nHybrid on the validation windows (the 30 days before each date; fitted before them): NDCG@10 and the "
          "paired gap to the defaults with its 95 % interval (low..high)")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
