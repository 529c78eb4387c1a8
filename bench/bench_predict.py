"""Predictive retention (recs/predict): the published CDNOW parameters, backtests on three shops, and speed.

1. BG/NBD on the CDNOW sample fitted as the paper does (1997-01-01..09-30, weeks, purchases once per day) against
   the published r, alpha, a, b; and the same fit through the warehouse (which leaves out the 8 customers whose
   only lines are $0).
2. Backtests (CDNOW at 1997-10-01, H = 273; Online Retail at 2011-06-01, 08-01, 09-01, H = 90; the demo shop at
   2025-04-01 and 2025-07-01, H = 90): every model's figures, then per backtest the ratio of `best`'s MAE to the
   better of BG/NBD and the plain trees on RFM features (target <= 1.0 everywhere, <= 0.95 at most), and the
   predicted / actual total (target 0.85-1.15 where the history covers the same season a year earlier).
3. Speed: `forecast(model="best")` with every fit, on the demo shop of each size in $BENCH_LINES (1M, 10M), wall
   and CPU seconds against the targets (10 s, 60 s) as a ratio.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd

from bench._util import REPO, Clock, demo_db, label, load_average, sizes, table
from recs.db import connect
from recs.importer import import_files
from recs.predict import backtest, forecast
from recs.predict.bgnbd import fit_bgnbd
from recs.predict.data import ShopData

SHARED = REPO.parent / "shared" / "datasets"
CDNOW = SHARED / "cdnow" / "CDNOW_sample.txt"
RETAIL = SHARED / "online-retail" / "online_retail.parquet"
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
SPEED_TARGETS = {1_000_000: 10.0, 10_000_000: 60.0}


def cdnow_paper_summary() -> pd.DataFrame:
    lines = pd.read_csv(CDNOW, sep=r"\s+", header=None, names=["cid", "idx", "date", "n", "value"],
                        dtype={"date": str})
    lines["date"] = pd.to_datetime(lines["date"], format="%Y%m%d")
    days = lines[lines["date"] < "1997-10-01"].drop_duplicates(["cid", "date"])
    by = days.groupby("cid")["date"]
    end = pd.Timestamp("1997-09-30")
    return pd.DataFrame({"x": by.count() - 1, "t_x": (by.max() - by.min()).dt.days / 7,
                         "T": (end - by.min()).dt.days / 7})


def imported(tmp: Path, name: str, path: Path, fmt: str) -> Path:
    db = tmp / f"{name}.duckdb"
    con = connect(db)
    import_files(con, orders=path, fmt=fmt)
    con.close()
    return db


def parameters(cdnow_db: Path) -> None:
    summary = cdnow_paper_summary()
    rows = []
    with Clock() as clock:
        paper, note = fit_bgnbd(summary["x"], summary["t_x"], summary["T"], modified=False)
    rows.append({"fit": f"as the paper counts ({len(summary):,} customers)", **dict(zip(PUBLISHED, paper,
                 strict=True)), "max_diff": max(abs(p - q) for p, q in zip(paper, PUBLISHED.values(), strict=True)),
                 "seconds": clock.wall})
    con = connect(cdnow_db, read_only=True)
    history = ShopData(con).history(pd.Timestamp("1997-10-01"))
    con.close()
    with Clock() as clock:
        ours, _ = fit_bgnbd(history["x"], history["t_x"], history["T"], modified=False)
    rows.append({"fit": f"through the warehouse ({len(history):,} customers)", **dict(zip(PUBLISHED, ours,
                 strict=True)), "max_diff": max(abs(p - q) for p, q in zip(ours, PUBLISHED.values(), strict=True)),
                 "seconds": clock.wall})
    rows.append({"fit": "published (Fader, Hardie, Lee 2005)", **PUBLISHED, "max_diff": 0.0, "seconds": None})
    print("BG/NBD on CDNOW, calibration 1997-01-01..1997-09-30 (target: max_diff <= 0.005)")
    print(table(rows, ["fit", "r", "alpha", "a", "b", "max_diff", "seconds"]))


def backtests(runs: list[tuple[str, Path, str, int, float]]) -> None:
    summary = []
    for shop, db, cutoff, horizon, factor in runs:
        con = connect(db, read_only=True)
        try:
            started = time.perf_counter()
            result = backtest(con, cutoff, horizon, history_factor=factor)
            seconds = time.perf_counter() - started
            history_days = (pd.Timestamp(cutoff) - ShopData(con).data_range()[0].normalize()).days
        finally:
            con.close()
        print(f"\n{shop} from {cutoff}, H = {horizon} days ({seconds:.1f} s; best chose {result.best_choice}; "
              f"{result.actual_orders:,.0f} actual purchase days)")
        for note in result.notes:
            print(f"  note: {note}")
        print(table(result.table.to_dict("records")))
        mae = result.table.set_index("model")["mae"]
        rivals = [m for m in ("bgnbd", "rfm_gbr") if m in mae.index]
        better = min(mae[m] for m in rivals)
        season = history_days >= 365 + horizon
        ratio = result.table.set_index("model").loc["best", "total_ratio"]
        summary.append({"backtest": f"{shop} {cutoff} H={horizon}", "chose": result.best_choice, "best_mae": mae["best"],
                        "rival": "/".join(rivals), "rival_mae": better, "ratio": mae["best"] / better,
                        "total_ratio": ratio, "same_season_covered": "yes" if season else "no",
                        "total_in_0.85-1.15": ("yes" if 0.85 <= ratio <= 1.15 else "no") if season else "n/a"})
    print("\nbest vs the better of BG/NBD and trees on RFM (target ratio <= 1.0 everywhere, <= 0.95 at most)")
    print(table(summary))
    met = sum(r["ratio"] <= 1.0 for r in summary)
    strong = sum(r["ratio"] <= 0.95 for r in summary)
    print(f"ratio <= 1.0 at {met} of {len(summary)}; <= 0.95 at {strong} of {len(summary)}")


def speed() -> None:
    rows = []
    for lines in sizes():
        db, _ = demo_db(lines)
        con = connect(db, read_only=True)
        try:
            with Clock() as clock:
                result = forecast(con, None, 90, "best")
        finally:
            con.close()
        target = SPEED_TARGETS.get(lines)
        rows.append({"shop": f"demo {label(lines)}", "customers": len(result.frame), "chose": result.used,
                     "wall_s": clock.wall, "cpu_s": clock.cpu, "target_s": target,
                     "wall/target": clock.wall / target if target else None, "load": load_average()})
    print("\nforecast(model='best') with every fit (SQL and BG/NBD at six cutoffs, two sets of stacked trees at "
          "C - H and at C, the choice, the season's level)")
    print(table(rows))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cdnow_db = imported(tmp, "cdnow", CDNOW, "cdnow")
        retail_db = imported(tmp, "retail", RETAIL, "online-retail")
        parameters(cdnow_db)
        demo, _ = demo_db(1_000_000)
        backtests([("CDNOW", cdnow_db, "1997-10-01", 273, 1.0),
                   ("Online Retail", retail_db, "2011-06-01", 90, 2.0),
                   ("Online Retail", retail_db, "2011-08-01", 90, 2.0),
                   ("Online Retail", retail_db, "2011-09-01", 90, 2.0),
                   ("demo 1M", demo, "2025-04-01", 90, 2.0),
                   ("demo 1M", demo, "2025-07-01", 90, 2.0)])
    speed()


if __name__ == "__main__":
    main()
