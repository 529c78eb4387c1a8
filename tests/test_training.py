"""Training on a real warehouse file: metadata, atomic storage next to the database (one run per training),
reload in a new process, and the `models` / `train` commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recs.cli import main
from recs.db import connect, refresh_derived
from recs.errors import InputError, NotFound
from recs.models import model_names
from recs.models.store import list_models, load_model, models_dir, run_path, runs_dir
from recs.training import is_stale, newest_current_model, train_model

REPO = Path(__file__).resolve().parents[1]


def make_shop(path) -> None:
    """40 customers, 12 products, 3 months; a few guest and cancelled lines."""
    rng = np.random.default_rng(11)
    con = connect(path)
    con.executemany("INSERT INTO products VALUES (?, ?, ?, TRUE, TRUE, ?)",
                    [(f"p{i}", f"Product {i}", "a" if i < 6 else "b", float(i + 1)) for i in range(12)])
    con.execute("INSERT INTO imports VALUES (1, 'orders', 'x.csv', 'abc', 'csv', 1, 1, 0, now(), now(), NULL)")
    rows = []
    for n in range(300):
        cust = None if n % 25 == 0 else f"c{int(rng.integers(0, 40))}"
        when = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=int(rng.integers(0, 24 * 90)))
        for line, p in enumerate(rng.choice(12, size=int(rng.integers(1, 4)), replace=False)):
            status = "cancelled" if n % 31 == 0 else "completed"
            rows.append((f"o{n}", line, cust, when.to_pydatetime(), f"p{p}", 1.0, float(p + 1), status))
    con.executemany("INSERT INTO order_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'UK', 1)", rows)
    refresh_derived(con)
    con.close()


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.duckdb"
    make_shop(path)
    return path


def test_train_stores_model_and_metadata(shop) -> None:
    con = connect(shop)
    run = train_model(con, shop, "item_knn", params={"neighbors": "5"}, until="2024-03-01")
    con.close()
    model = run.model
    assert run.path == run_path(shop, run.run_id) and run.path.exists() and run.path.with_suffix(".json").exists()
    assert "-item_knn-" in run.run_id and run.meta()["run_id"] == run.run_id
    assert run.meta()["data_fingerprint"] == run.fingerprint
    assert run.params["neighbors"] == 5 and run.weighting == "binary" and run.name == "item_knn"
    assert run.train_cutoff.startswith("2024-03-01") and run.train_until.startswith("2024-03-01")
    assert run.until == pd.Timestamp("2024-03-01")
    fp = run.fingerprint
    assert fp["last_import_id"] == 1 and fp["valid_lines"] > 0 and fp["max_ordered_at"].startswith("2024-03")
    assert run.data_version == 1
    assert run.fit_seconds >= 0 and run.trained_at and run.customers == model.data_.n_customers
    assert "metrics" not in run.meta()  # the empty entry older files carry is dropped
    con = connect(shop)
    assert not is_stale(con, run)
    con.execute("INSERT INTO imports VALUES (2, 'assignments', 'holdout:x', 'h', 'holdout', 1, 1, 0, now(), now(), "
                "NULL)")
    assert not is_stale(con, run)  # a holdout export records assignments; the orders did not change
    con.execute("INSERT INTO imports VALUES (3, 'orders', 'y.csv', 'def', 'csv', 1, 1, 0, now(), now(), NULL)")
    assert is_stale(con, run)
    con.close()
    loaded = load_model(shop, "item_knn")
    assert loaded.meta() == json.loads(run.path.with_suffix(".json").read_text())
    assert loaded.meta() == run.meta() and loaded.path == run.path
    pd.testing.assert_frame_equal(model.recommend(k=3), loaded.model.recommend(k=3))
    listing = list_models(shop)
    assert listing["name"].tolist() == ["item_knn"] and listing["customers"].iloc[0] == model.data_.n_customers


def test_newest_current_model_is_the_last_one_trained_on_the_data_now(shop) -> None:
    con = connect(shop)
    assert newest_current_model(con, shop) is None  # nothing stored yet
    train_model(con, shop, "popular")
    assert newest_current_model(con, shop) == "popular"
    train_model(con, shop, "item_knn")
    assert newest_current_model(con, shop) == "item_knn"
    train_model(con, shop, "popular")
    assert newest_current_model(con, shop) == "popular"
    con.execute("INSERT INTO order_lines VALUES ('late', 0, 'c1', TIMESTAMP '2024-04-02', 'p1', 1, 2, 'completed', "
                "'UK', 1)")
    refresh_derived(con)
    assert newest_current_model(con, shop) is None  # both stored models are stale now
    train_model(con, shop, "ease")
    assert newest_current_model(con, shop) == "ease"
    con.close()


def test_failed_training_leaves_previous_model_byte_identical(shop) -> None:
    con = connect(shop)
    first = train_model(con, shop, "ease", params={"l2": 10})
    npz, js = first.path, first.path.with_suffix(".json")
    before = npz.read_bytes(), js.read_bytes()

    def boom(fraction: float, _message: str) -> None:
        if fraction > 0.5:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        train_model(con, shop, "ease", params={"l2": 500}, progress=boom)
    with pytest.raises(InputError):
        train_model(con, shop, "ease", until="2020-01-01")
    con.close()
    assert (npz.read_bytes(), js.read_bytes()) == before
    assert not list(models_dir(shop).rglob("*.tmp"))  # no temp files left
    assert sorted(p.name for p in runs_dir(shop).iterdir()) == sorted([npz.name, js.name])
    assert load_model(shop, "ease").model.get_params()["l2"] == 10.0


def test_stored_model_reloads_in_a_new_process(shop, tmp_path) -> None:
    con = connect(shop)
    model = train_model(con, shop, "svd", params={"factors": 3, "random_state": 5}).model
    con.close()
    here = model.recommend(k=4)
    out = tmp_path / "recs.csv"
    code = ("import sys; from recs.models.store import load_model; "
            f"m = load_model({str(shop)!r}, 'svd').model; m.recommend(k=4).to_csv({str(out)!r}, index=False)")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=120)
    there = pd.read_csv(out, dtype={"customer_id": str, "product_id": str})
    pd.testing.assert_frame_equal(here.drop(columns="score"), there.drop(columns="score"), check_dtype=False)
    np.testing.assert_allclose(here["score"], there["score"], rtol=1e-6)


def test_unknown_things_are_clear(shop) -> None:
    con = connect(shop)
    with pytest.raises(InputError, match="unknown model 'nope'; known models: popular"):
        train_model(con, shop, "nope")
    with pytest.raises(InputError, match="unknown parameter"):
        train_model(con, shop, "popular", params={"speed": 3})
    con.close()
    with pytest.raises(NotFound, match="train it first"):
        load_model(shop, "repeat")
    with pytest.raises(InputError, match="invalid model name"):
        load_model(shop, "../etc")


def test_models_and_train_commands(shop, capsys) -> None:
    assert main(["models"]) == 0
    assert capsys.readouterr().out.split() == model_names()
    assert main(["train", "--db", str(shop), "--model", "popular", "--param", "half_life_days=7", "--quiet",
                 "--train-until", "2024-03-15"]) == 0
    out = capsys.readouterr().out
    assert "trained popular" in out and "stored as run " in out
    assert load_model(shop, "popular").params == {"half_life_days": 7.0}
    assert main(["models", "--trained", "--db", str(shop)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith("run_id,name,model,status,") and "-popular-" in listed[1]
    assert listed[1].split(",")[1:4] == ["popular", "popular", "current"]
    for argv, words in [
        (["--model", "nope"], "unknown model 'nope'; known models:"),
        (["--model", "popular", "--param", "half_life_days=soon"], "not a valid float"),
        (["--model", "popular", "--param", "oops"], "use name=value"),
        (["--model", "popular", "--train-until", "2023-01-01"], "nothing to train on"),
    ]:
        assert main(["train", "--db", str(shop), "--quiet", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and words in err and "Traceback" not in err


def test_train_refuses_a_database_without_orders(empty_db, capsys) -> None:
    assert main(["train", "--db", str(empty_db), "--model", "popular"]) == 2
    assert "no valid orders" in capsys.readouterr().err


def test_online_retail_smoke(retail_db, tmp_path) -> None:
    con = connect(retail_db)
    for name in ("repeat", "item_knn"):
        run = train_model(con, tmp_path / "r.duckdb", name, until="2011-09-01")
        recs = run.model.recommend(k=10)
        assert recs.customer_id.nunique() == run.customers > 3000
        assert (recs.groupby("customer_id").size() == 10).all()
    con.close()
