"""Hyper-parameter tuning reads only lines strictly before the evaluation cutoff."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from test_evaluation import CUTOFF, day, make_db, shop_rows

from recs.db import connect
from recs.evaluation import evaluate_models
from recs.evaluation.tuning import grid, tune


def test_tuning_never_touches_lines_at_or_after_the_cutoff(tmp_path: Path) -> None:
    before = [r for r in shop_rows(seed=4, customers=30) if r[3] < CUTOFF]
    after = [(f"c{c:02d}", "a0" if c % 2 else "b5", f"x{c}-{n}", day(n)) for c in range(30) for n in range(0, 20, 3)]
    a = make_db(tmp_path / "a.duckdb", before)
    b = make_db(tmp_path / "b.duckdb", before + after)  # includes lines exactly at the cutoff (n = 0)
    with connect(a) as con:
        got_a = tune(con, CUTOFF, "popular", horizon_days=30, k=3)
    with connect(b) as con:
        got_b = tune(con, CUTOFF, "popular", horizon_days=30, k=3)
        later = tune(con, day(21), "popular", horizon_days=30, k=3)  # a later cutoff does see those lines
    assert len(got_a["table"]) == len(grid("popular")) > 1
    pd.testing.assert_frame_equal(got_a["table"], got_b["table"])
    assert got_a["params"] == got_b["params"]
    assert not later["table"][["ndcg_new", "ndcg_all"]].equals(got_b["table"][["ndcg_new", "ndcg_all"]])


def test_evaluate_with_tune_runs(tmp_path: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", shop_rows(seed=6))
    with connect(path) as con:
        table = evaluate_models(con, CUTOFF, k=3, models=["popular"], tune=True)
    assert list(table["mode"]) == ["new", "all"]
