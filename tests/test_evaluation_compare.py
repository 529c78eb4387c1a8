"""Paired comparison of models: the t interval by hand, verdicts on constructed cases, and the per-customer
values `evaluate_models` hands out averaging to exactly the table's NDCG."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recs.db import connect
from recs.evaluation import COMPARE_COLUMNS, compare_to_best, evaluate_models, temporal_split
from recs.evaluation.compare import paired_interval
from tests.test_evaluation import CUTOFF, make_db, shop_rows


def test_paired_interval_by_hand() -> None:
    # d = 1, 2, 3, 4: mean 2.5, sd = sqrt(5/3), se = sd / 2, t(0.975, 3) = 3.182446 (t table)
    mean, low, high = paired_interval(np.array([1.0, 2.0, 3.0, 4.0]))
    half = 3.182446 * math.sqrt(5 / 3) / 2
    assert mean == 2.5
    assert low == pytest.approx(2.5 - half, abs=1e-5) and high == pytest.approx(2.5 + half, abs=1e-5)
    assert paired_interval(np.array([0.3])) == (0.3, 0.3, 0.3)
    assert paired_interval(np.array([])) == (0.0, 0.0, 0.0)


def test_verdicts_worse_tied_and_best() -> None:
    customers = [f"c{i}" for i in range(200)]
    rng = np.random.default_rng(5)
    base = rng.uniform(0.2, 0.8, size=200)
    noise = rng.normal(0, 0.2, size=100)
    per = {
        ("strong", "all"): pd.Series(base + 0.1, index=customers),           # better on every customer
        ("weak", "all"): pd.Series(base, index=customers),
        ("twin", "all"): pd.Series(base + 0.09 + np.r_[noise, -noise], index=customers),  # 0.01 under, noisy
        ("strong", "new"): pd.Series(base, index=customers),
    }
    table = compare_to_best(per)
    assert list(table.columns) == COMPARE_COLUMNS
    assert table["mode"].tolist() == ["all", "all", "all", "new"]  # modes in the order given, best first
    rows = table.set_index(["mode", "model"])
    assert rows.loc[("all", "strong"), "verdict"] == "best NDCG in this test"
    assert rows.loc[("all", "weak"), "gap_to_best"] == pytest.approx(-0.1)
    assert rows.loc[("all", "weak"), "ci_high"] == pytest.approx(-0.1)  # the same gap everywhere: no noise
    assert rows.loc[("all", "weak"), "verdict"].startswith("worse than strong")
    twin = rows.loc[("all", "twin")]
    assert twin["gap_to_best"] == pytest.approx(-0.01)
    assert twin["ci_low"] < 0 < twin["ci_high"]  # a 0.01 gap under noise of sd 0.2 on 200 customers
    assert twin["verdict"].startswith("cannot be told apart from strong")
    assert (rows["customers"] == 200).all()
    assert rows.loc[("new", "strong"), "best"] == "strong"


def test_only_shared_customers_are_paired() -> None:
    a = pd.Series([1.0, 0.0, 0.5], index=["x", "y", "z"])
    b = pd.Series([0.0, 0.0], index=["x", "y"])
    table = compare_to_best({("a", "all"): a, ("b", "all"): b}).set_index("model")
    assert table.loc["b", "customers"] == 2 and table.loc["b", "gap_to_best"] == pytest.approx(-0.5)


def test_per_customer_values_average_to_the_table(tmp_path: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", shop_rows(seed=3))
    per: dict = {}
    with connect(path) as con:
        table = evaluate_models(con, CUTOFF, horizon_days=30, k=5, models=["popular", "repeat", "item_knn"],
                                per_customer=per)
        split = temporal_split(con, CUTOFF, 30)
    assert set(per) == {(m, mode) for m in ("popular", "repeat", "item_knn") for mode in ("new", "all")}
    for row in table.itertuples():
        series = per[(row.model, row.mode)]
        assert list(series.index) == sorted(c for c, rel in split.relevant(row.mode).items() if rel)
        assert series.mean() == pytest.approx(row.ndcg, abs=1e-12)
        assert series.between(0, 1).all()
    compared = compare_to_best(per)
    best_all = table[table["mode"] == "all"].sort_values("ndcg", ascending=False).iloc[0]["model"]
    assert (compared.loc[compared["mode"] == "all", "best"] == best_all).all()


def test_cli_writes_the_gaps_next_to_the_table(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.test_evaluation import REPO

    path = make_db(tmp_path / "shop.duckdb", shop_rows())
    out, gaps = tmp_path / "eval.csv", tmp_path / "gaps.csv"
    done = subprocess.run([sys.executable, "-m", "recs", "evaluate", "--db", str(path), "--cutoff", "2024-03-01",
                           "--k", "5", "--models", "popular,repeat", "--out", str(out), "--gaps", str(gaps)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    table, compared = pd.read_csv(out), pd.read_csv(gaps)
    assert list(compared.columns) == COMPARE_COLUMNS and len(compared) == 4
    merged = compared.merge(table, on=["model", "mode"], suffixes=("", "_table"))
    assert (merged["ndcg"] - merged["ndcg_table"]).abs().max() < 1e-9
    both = subprocess.run([sys.executable, "-m", "recs", "evaluate", "--db", str(path), "--cutoff", "2024-03-01",
                           "--models", "popular", "--out", "-", "--gaps", "-"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert both.returncode == 2 and "both write to standard output" in both.stderr


@pytest.mark.parametrize("k", [1, 3, 10])
def test_per_customer_metrics_equal_ranking_scores_one_by_one(k: int) -> None:
    """The vectorised metrics against the one-customer definition, on lists with duplicates, short, empty and
    missing lists, and relevant sets larger and smaller than k."""
    from recs.evaluation import metrics

    rng = np.random.default_rng(k)
    relevant, lists = {}, {}
    for i in range(400):
        rel = {f"p{j}" for j in rng.integers(0, 30, int(rng.integers(0, 15)))}
        relevant[f"c{i}"] = rel
        if i % 7:  # every seventh customer has no list at all
            lists[f"c{i}"] = [f"p{j}" for j in rng.integers(0, 30, int(rng.integers(0, 2 * k + 3)))]
    customers, arrays = metrics.per_customer_metrics(lists, relevant, k)
    assert customers == [c for c, rel in relevant.items() if rel]
    for i, customer in enumerate(customers):
        expected = metrics.ranking_scores(lists.get(customer, ()), relevant[customer], k)
        for name, value in expected.items():
            assert arrays[name][i] == pytest.approx(value, abs=1e-12), (customer, name)
    means = metrics.mean_ranking_metrics(lists, relevant, k)
    assert means["customers"] == len(customers)
    assert means["ndcg"] == pytest.approx(float(np.mean(arrays["ndcg"])), abs=1e-12)
