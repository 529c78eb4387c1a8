"""Evaluation: ranking metrics against hand-computed cases, temporal split boundaries, modes, the evaluate CLI."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recs.db import connect, refresh_derived
from recs.errors import InputError
from recs.evaluation import COLUMNS, evaluate_models, temporal_split
from recs.evaluation import metrics as m

REPO = Path(__file__).resolve().parents[1]
CUTOFF = pd.Timestamp("2024-03-01")


def make_db(path: Path, rows: list[tuple[str, str, str, object]], non_products: tuple[str, ...] = (),
            extra_products: tuple[str, ...] = ()) -> Path:
    """A warehouse with lines (customer, product, order id, time) and a products table (valid, completed)."""
    con = connect(path)
    frame = pd.DataFrame(rows, columns=["customer_id", "product_id", "order_id", "ordered_at"])
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"])
    frame["line_no"] = frame.groupby("order_id").cumcount() + 1
    con.register("src", frame)
    con.execute("""INSERT INTO order_lines SELECT order_id, line_no, customer_id, ordered_at, product_id, 1.0, 2.0,
                   'completed', 'UK', 1 FROM src""")
    refresh_derived(con)
    products = sorted(set(frame["product_id"]) | set(extra_products))
    for p in products:
        con.execute("INSERT INTO products VALUES (?, ?, ?, ?, TRUE, 2.0)", [p, f"name {p}", "cat", p not in non_products])
    con.close()
    return path


def day(n: float) -> pd.Timestamp:
    """CUTOFF shifted by n days (negative = before)."""
    return CUTOFF + pd.Timedelta(days=n)


def shop_rows(seed: int = 1, customers: int = 40, days_before: int = 150, days_after: int = 30) -> list[tuple]:
    """A small random shop: two taste groups of products, repeat buying, orders before and after CUTOFF."""
    rng = np.random.default_rng(seed)
    rows, order = [], 0
    for c in range(customers):
        group = [f"a{i}" for i in range(6)] if c % 2 else [f"b{i}" for i in range(6)]
        favourite = group[c % 3]
        for _ in range(int(rng.integers(2, 7))):
            order += 1
            when = day(-float(rng.uniform(1, days_before)) if rng.random() < 0.8 else float(rng.uniform(0, days_after)))
            for p in {favourite, *rng.choice(group, size=2, replace=False)}:
                rows.append((f"c{c:02d}", p, f"o{order}", when))
    return rows


# ---- metrics: hand-computed ----------------------------------------------------------------------------------
def test_ranking_scores_hand_computed() -> None:
    got = m.ranking_scores(["a", "b", "c", "d"], {"b", "d", "x"}, k=4)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)          # hits at ranks 2 and 4
    idcg = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)  # 3 relevant, all could be in the top 4
    assert got["precision"] == pytest.approx(2 / 4)
    assert got["recall"] == pytest.approx(2 / 3)
    assert got["ndcg"] == pytest.approx(dcg / idcg)
    assert got["map"] == pytest.approx((1 / 2 + 2 / 4) / 3)
    assert got["hit_rate"] == 1.0


def test_ranking_scores_cut_at_k_and_edge_cases() -> None:
    assert m.ranking_scores(["a", "b"], {"b"}, k=1) == {"precision": 0.0, "recall": 0.0, "ndcg": 0.0, "map": 0.0,
                                                         "hit_rate": 0.0}
    perfect = m.ranking_scores(["b", "a"], {"b"}, k=2)
    assert perfect["ndcg"] == pytest.approx(1.0) and perfect["map"] == pytest.approx(1.0)
    assert perfect["precision"] == pytest.approx(0.5)
    # idcg is limited by k: 5 relevant items, k = 2, both hits -> ndcg 1, map 1, recall 2/5
    full = m.ranking_scores(["a", "b"], {"a", "b", "c", "d", "e"}, k=2)
    assert full["ndcg"] == pytest.approx(1.0) and full["map"] == pytest.approx(1.0)
    assert full["recall"] == pytest.approx(2 / 5)
    assert m.ranking_scores([], {"a"}, k=3)["ndcg"] == 0.0
    with pytest.raises(ValueError):
        m.ranking_scores(["a"], {"a"}, k=0)


def test_mean_over_customers_counts_missing_lists_as_zero() -> None:
    relevant = {"u1": {"a"}, "u2": {"b"}, "u3": set()}
    got = m.mean_ranking_metrics({"u1": ["a", "x"]}, relevant, k=2)
    assert got["customers"] == 2  # u3 has nothing relevant and is not counted
    assert got["hit_rate"] == pytest.approx(0.5)
    assert got["precision"] == pytest.approx((1 / 2 + 0) / 2)


def test_coverage_novelty_diversity_hand_computed() -> None:
    # 4 customers x 3 products: p0 and p1 bought by exactly the same customers, p2 by the others
    x = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]], dtype=float))
    vectors = m.item_vectors(x)
    index = {"p0": 0, "p1": 1, "p2": 2}
    assert m.diversity({"u": ["p0", "p1"]}, vectors, index, k=2) == pytest.approx(0.0)
    assert m.diversity({"u": ["p0", "p2"]}, vectors, index, k=2) == pytest.approx(1.0)
    assert m.coverage({"u": ["p0", "p1"], "v": ["p1"]}, n_products=4, k=2) == pytest.approx(2 / 4)
    buyers = {"p0": 3, "p2": 0}
    expected = (-math.log2(4 / 5) - math.log2(1 / 5)) / 2
    assert m.novelty({"u": ["p0", "p2"]}, buyers, n_customers=4, k=2) == pytest.approx(expected)


# ---- temporal split ------------------------------------------------------------------------------------------
def test_split_boundaries_and_modes(tmp_path: Path) -> None:
    rows = [
        ("c1", "old", "o1", day(-10)),
        ("c1", "keep", "o2", day(-1 / 1440)),              # one minute before: train
        ("c1", "keep", "o3", CUTOFF),                      # exactly at the cutoff: test
        ("c1", "fresh", "o3", CUTOFF),
        ("c1", "late", "o4", day(30) - pd.Timedelta(minutes=1)),  # last minute of the horizon: test
        ("c1", "after", "o5", day(30)),                    # horizon end is exclusive: not test
        ("c2", "old", "o6", day(-5)),
        ("c2", "old", "o7", day(3)),                       # a pure re-buy: relevant in "all" only
        ("c3", "fresh", "o8", day(2)),                     # unknown before the cutoff: not a test customer
        ("c1", "fee", "o3", CUTOFF),                       # not a product
    ]
    with connect(make_db(tmp_path / "s.duckdb", rows, non_products=("fee",))) as con:
        split = temporal_split(con, CUTOFF, horizon_days=30)
    assert split.bought == {"c1": {"keep", "fresh", "late"}, "c2": {"old"}}
    assert split.history["c1"] == {"old", "keep"}
    assert split.relevant("all") == {"c1": {"keep", "fresh", "late"}, "c2": {"old"}}
    assert split.relevant("new") == {"c1": {"fresh", "late"}}  # previously bought products never count in "new"
    assert split.end == day(30)


@pytest.mark.parametrize("shift", [-40, 0, 10])
def test_split_in_duckdb_equals_the_pairs_grouped_in_pandas(tmp_path: Path, shift: int) -> None:
    from recs.evaluation.split import split_frames

    rows = shop_rows(seed=9, customers=60) + [("c99", "fee", "o9999", day(-3)), ("c98", "fee", "o9998", day(5))]
    frame = pd.DataFrame(rows, columns=["customer_id", "product_id", "order_id", "ordered_at"])
    frame = frame[frame["product_id"] != "fee"]  # not a product: never counts (c99 is no train customer)
    cutoff, end = day(shift), day(shift + 14)
    train = frame[frame["ordered_at"] < cutoff][["customer_id", "product_id"]].drop_duplicates()
    test = frame[(frame["ordered_at"] >= cutoff) & (frame["ordered_at"] < end)][["customer_id", "product_id"]]
    expected = split_frames(train, test.drop_duplicates(), cutoff, end)
    with connect(make_db(tmp_path / "s.duckdb", rows, non_products=("fee",))) as con:
        got = temporal_split(con, cutoff, horizon_days=14)
    assert got.bought and got.bought == expected.bought and got.history == expected.history
    assert got.train_customers == expected.train_customers == train["customer_id"].nunique()


def test_split_refuses_empty_sides(tmp_path: Path) -> None:
    path = make_db(tmp_path / "s.duckdb", [("c1", "p", "o1", day(-3)), ("c1", "q", "o2", day(4))])
    with connect(path) as con:
        with pytest.raises(InputError, match="no purchases before"):
            temporal_split(con, day(-30), 30)
        with pytest.raises(InputError, match="test window"):
            temporal_split(con, day(10), 30)
        with pytest.raises(InputError, match="not a date"):
            temporal_split(con, "soon", 30)


# ---- evaluate_models -------------------------------------------------------------------------------------------
def test_evaluate_models_table_and_new_mode_excludes_purchased(tmp_path: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", shop_rows())
    with connect(path) as con:
        table = evaluate_models(con, CUTOFF, horizon_days=30, k=3, models=["popular", "repeat"])
        split = temporal_split(con, CUTOFF, 30)
    assert list(table.columns) == COLUMNS
    assert list(zip(table["model"], table["mode"], strict=True)) == [
        ("popular", "new"), ("popular", "all"), ("repeat", "new"), ("repeat", "all")]
    assert (table["customers"] == [len(split.relevant(mo)) for mo in ("new", "all", "new", "all")]).all()
    for col in ("precision", "recall", "ndcg", "map", "hit_rate", "coverage", "diversity"):
        assert table[col].between(0, 1).all(), col
    # in "new" mode the buy-again model can only fall back to popular products: same lists as popular
    new = table[table["mode"] == "new"].set_index("model")
    assert new.loc["repeat", "ndcg"] == pytest.approx(new.loc["popular", "ndcg"])
    # in "all" mode buying again is what this shop does: repeat must beat popular
    both = table[table["mode"] == "all"].set_index("model")
    assert both.loc["repeat", "ndcg"] > both.loc["popular", "ndcg"]


def test_evaluate_models_bad_requests(tmp_path: Path, empty_db: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", shop_rows())
    with connect(path) as con:
        with pytest.raises(InputError, match="unknown model 'nope'.*popular"):
            evaluate_models(con, CUTOFF, models=["nope"])
        with pytest.raises(InputError, match="k must be at least 1"):
            evaluate_models(con, CUTOFF, k=0, models=["popular"])
    with connect(empty_db) as con, pytest.raises(InputError, match="no orders"):
        evaluate_models(con, CUTOFF, models=["popular"])


# ---- CLI -------------------------------------------------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recs", "evaluate", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_cli_prints_csv(tmp_path: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", shop_rows())
    done = run_cli("--db", str(path), "--cutoff", "2024-03-01", "--k", "5", "--models", "popular,repeat",
                   "--out", "-")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == ("model,mode,k,precision,recall,ndcg,map,hit_rate,coverage,novelty,diversity,customers,"
                        "fit_seconds,note")
    assert len(lines) == 5 and lines[1].startswith("popular,new,5,")


@pytest.mark.parametrize(("args", "message"), [
    (["--models", "popular,nope"], "unknown model 'nope'"),
    (["--k", "0"], "k must be at least 1"),
    (["--cutoff", "2020-01-01"], "no purchases before"),
])
def test_cli_bad_requests_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    path = make_db(tmp_path / "shop.duckdb", shop_rows(customers=6))
    base = {"--cutoff": "2024-03-01", "--models": "popular"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    done = run_cli("--db", str(path), *[x for kv in base.items() for x in kv])
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and message in done.stderr and "Traceback" not in done.stderr


def test_cli_empty_database_exit_2(empty_db: Path) -> None:
    done = run_cli("--db", str(empty_db), "--cutoff", "2024-03-01")
    assert done.returncode == 2 and "no orders" in done.stderr


@pytest.mark.parametrize("dense_max", [4_000, 5])
def test_diversity_in_one_gram_block_equals_one_list_at_a_time(dense_max, monkeypatch) -> None:
    rng = np.random.default_rng(3)
    matrix = sp.random(400, 60, density=0.05, random_state=3, format="csr")
    vectors = m.item_vectors(matrix)
    index = {f"p{i}": i for i in range(60)}
    lists = {f"u{j}": [f"p{i}" for i in rng.choice(60, size=rng.integers(0, 12), replace=False)] + ["unknown"]
             for j in range(300)}
    cols = [[index[x] for x in items[:10] if x in index] for items in lists.values()]
    one_at_a_time = np.mean([m._list_diversity(vectors, c) for c in cols if len(c) >= 2])
    monkeypatch.setattr(m, "DENSE_GRAM_MAX", dense_max)  # 5: more distinct products than that, the per-list path
    assert m.diversity(lists, vectors, index, k=10) == pytest.approx(one_at_a_time, abs=1e-12)


def test_evaluation_reaches_models_only_through_the_registry() -> None:
    """No module of recs/evaluation imports a model's own module (the hybrid's events come with the Interactions)."""
    import ast

    from recs.models import REGISTRY

    model_modules = {cls.__module__ for cls in REGISTRY.values()}
    for path in sorted((REPO / "recs" / "evaluation").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
            else:
                continue
            assert not names & model_modules, f"{path.name}:{node.lineno} imports {names & model_modules}"


def test_one_best_model_per_mode_and_blanks_never_win() -> None:
    from recs.evaluation import best_models
    from recs.evaluation.evaluate import best_name

    assert best_name({"repeat": 0.3, "als": 0.3 + 1e-15, "popular": 0.1}) == "als"  # a tie: first alphabetically
    assert best_name({"zz": 0.4, "aa": 0.3}) == "zz"
    assert best_name({"x": float("nan")}) is None and best_name({"x": float("nan"), "y": 0.0}) == "y"
    table = pd.DataFrame({"model": ["repeat", "als", "repeat", "als"], "mode": ["new", "new", "all", "all"],
                          "ndcg": [float("nan"), float("nan"), 0.2, 0.2]})
    assert best_models(table) == {"new": None, "all": "als"}
    assert best_models(table.iloc[::-1]) == {"all": "als", "new": None}  # the order of the rows does not matter
