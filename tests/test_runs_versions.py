"""Model runs kept side by side: ids, listing, deletion, damaged files (listed with the reason, never a
traceback), files of the older one-slot layout, stale runs refused for an export without a confirmation, and two
app sessions that never see each other's choice. Real warehouse files, the real CLI, the real app (AppTest)."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from recs.cli import main
from recs.db import connect, refresh_derived
from recs.errors import NotFound
from recs.models import store
from recs.models.store import DamagedRun
from recs.training import newest_current_run, train_model
from tests.conftest import REPO
from tests.test_training import make_shop


@pytest.fixture(scope="module")
def small_shop(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("runs") / "small.duckdb"
    make_shop(path)
    return path


@pytest.fixture
def shop(small_shop, tmp_path) -> Path:
    """A private copy of a small shop (40 customers, 12 products), its runs beside it."""
    return Path(shutil.copy(small_shop, tmp_path / "shop.duckdb"))


def _add_order(path: Path) -> None:
    con = connect(path)
    con.execute("INSERT INTO order_lines SELECT 'late', 0, customer_id, max(ordered_at) + INTERVAL 1 DAY, "
                "min(product_id), 1, 2, 'completed', 'UK', 1 FROM valid_lines WHERE customer_id IS NOT NULL "
                "GROUP BY customer_id ORDER BY customer_id LIMIT 1")
    con.execute("INSERT INTO imports VALUES (99, 'orders', 'late.csv', 'zz', 'csv', 1, 1, 0, now(), now(), NULL)")
    refresh_derived(con)
    con.close()


def test_every_training_is_a_run_kept_beside_the_others(shop) -> None:
    con = connect(shop)
    stamps = [store.stored_stamp(shop)]
    first = train_model(con, shop, "popular", params={"half_life_days": 7})
    stamps.append(store.stored_stamp(shop))
    second = train_model(con, shop, "popular", params={"half_life_days": 30})
    stamps.append(store.stored_stamp(shop))
    other = train_model(con, shop, "repeat")
    stamps.append(store.stored_stamp(shop))
    con.close()
    assert len({first.run_id, second.run_id, other.run_id}) == 3 and len(set(stamps)) == 4
    runs = store.list_runs(shop)
    assert [r.run_id for r in runs] == [other.run_id, second.run_id, first.run_id]  # newest first
    assert all(not r.damaged and r.meta["run_id"] == r.run_id and r.meta["data_fingerprint"] for r in runs)
    assert store.load_model(shop, "popular").run_id == second.run_id  # the name's newest run
    again = store.load_run(shop, first.run_id)
    assert again.params == {"half_life_days": 7.0} and again.meta() == first.meta()
    pd.testing.assert_frame_equal(again.model.recommend(k=3), first.model.recommend(k=3))

    gone = store.delete_run(shop, second.run_id)
    assert gone.run_id == second.run_id and store.stored_stamp(shop) != stamps[-1]
    assert store.load_model(shop, "popular").run_id == first.run_id
    assert not list(store.runs_dir(shop).glob(f"{second.run_id}*"))
    with pytest.raises(NotFound):
        store.load_run(shop, second.run_id)
    with pytest.raises(NotFound):
        store.delete_run(shop, second.run_id)
    assert store.save_model(shop, again).run_id not in (first.run_id, second.run_id)  # saved again: a new run


def _damage(path: Path, how: str) -> str:
    """Damage a stored run's file as a disk, a copy or a person could; returns a word its reason must hold."""
    data = path.read_bytes()
    if how == "empty":
        path.write_bytes(b"")
        return "empty"
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
        return "truncated"
    if how == "text":
        path.write_text("not a model\n")
        return "not a model file"
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    header = json.loads(str(np.load(path, allow_pickle=False)["__meta__"]))
    if how == "bad json":
        members["__meta__.npy"] = _npy(np.array('{"format": 2, "extra": '))
        word = "not valid JSON"
    elif how == "no metadata":
        del members["__meta__.npy"]
        word = "__meta__"
    elif how == "unknown format":
        members["__meta__.npy"] = _npy(np.array(json.dumps(header | {"format": 99})))
        word = "unknown format 99"
    elif how == "unknown model":
        members["__meta__.npy"] = _npy(np.array(json.dumps(header | {"model": "gone"})))
        word = "unknown model 'gone'"
    else:  # "missing array": a part of the model is not in the file
        del members[next(n for n in members if n.startswith("d.matrix.data"))]
        word = "lacks part of the model"
    path.unlink()
    with zipfile.ZipFile(path, "w") as z:
        for name, blob in members.items():
            z.writestr(name, blob)
    return word


def _npy(array: np.ndarray) -> bytes:
    import io

    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


DAMAGE = ["empty", "truncated", "text", "bad json", "no metadata", "unknown format", "unknown model", "missing array"]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_run_is_listed_with_its_reason_never_a_traceback(shop, how, capsys) -> None:
    con = connect(shop)
    older = train_model(con, shop, "popular", params={"half_life_days": 7})
    newer = train_model(con, shop, "popular")
    con.close()
    word = _damage(newer.path, how)
    listed = {r.run_id: r for r in store.list_runs(shop)}
    if how != "missing array":  # found from the file's header
        assert listed[newer.run_id].damaged and word in listed[newer.run_id].problem
        assert listed[newer.run_id].name == "popular"  # named from the readable .json copy
    assert not listed[older.run_id].damaged
    with pytest.raises(DamagedRun, match=f"model run {newer.run_id} is damaged: .*{word}"):
        store.load_run(shop, newer.run_id)
    assert store.load_model(shop, "popular").run_id == older.run_id  # the newest readable run of the name

    assert main(["models", "--trained", "--db", str(shop)]) == 0
    out, err = capsys.readouterr()
    rows = {line.split(",")[0]: line for line in out.splitlines()[1:]}
    if how != "missing array":
        assert ",damaged," in rows[newer.run_id] and word.split("'")[0] in rows[newer.run_id]
    assert "Traceback" not in err and "2 stored run(s)" in err
    assert main(["recommend", "--db", str(shop), "--run", newer.run_id]) == 2
    assert capsys.readouterr().err.startswith(f"error: model run {newer.run_id} is damaged")
    assert main(["models", "delete", "--db", str(shop), "--run", newer.run_id]) == 0  # a damaged run can go
    assert [r.run_id for r in store.list_runs(shop)] == [older.run_id]


def test_every_run_of_a_name_damaged_and_a_lone_json(shop) -> None:
    con = connect(shop)
    run = train_model(con, shop, "repeat")
    con.close()
    run.path.write_bytes(b"")
    with pytest.raises(DamagedRun, match="every stored run of 'repeat' is damaged"):
        store.load_model(shop, "repeat")
    run.path.unlink()  # only the .json copy is left
    (found,) = store.list_runs(shop)
    assert found.problem == "the model file is missing" and found.name == "repeat"
    assert newest_current_run(connect(shop, read_only=True), shop) is None


def test_files_of_the_one_slot_layout_are_runs(shop) -> None:
    """<db>.models/NAME.npz (formats 2 and 1), written before runs had ids, are listed under their name."""
    con = connect(shop)
    run = train_model(con, shop, "item_knn", store=False)
    current = train_model(con, shop, "popular", store=False)
    con.close()
    folder = store.models_dir(shop)
    folder.mkdir(exist_ok=True)
    old = {k: v for k, v in run.meta().items() if k not in ("run_id", "data_fingerprint")}
    run.model.save(folder / "item_knn.npz", meta=old)  # format 2, fingerprint under its old key
    with np.load(folder / "item_knn.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(str(arrays["__meta__"]))
    header["format"] = 1
    del header["nested"]
    arrays["__meta__"] = np.array(json.dumps(header | {"extra": {"name": "knn1"}}))  # format 1, no fingerprint
    with open(folder / "knn1.npz", "wb") as fh:
        np.savez(fh, **arrays)
    newer = store.save_model(shop, current)
    listed = {r.run_id: r for r in store.list_runs(shop)}
    assert set(listed) == {"item_knn", "knn1", newer.run_id} and listed["knn1"].legacy
    assert not any(r.damaged for r in listed.values())
    loaded = store.load_model(shop, "item_knn")
    assert loaded.run_id == "item_knn" and loaded.fingerprint == run.fingerprint
    pd.testing.assert_frame_equal(loaded.model.recommend(k=3), run.model.recommend(k=3))
    assert store.load_run(shop, "knn1").name == "knn1"
    frame = store.list_models(shop, run.fingerprint).set_index("run_id")
    assert frame.loc["item_knn", "status"] == frame.loc["knn1", "status"] == "current"  # no fingerprint: unknown
    _add_order(shop)
    con = connect(shop, read_only=True)
    from recs.training import data_fingerprint

    frame = store.list_models(shop, data_fingerprint(con)).set_index("run_id")
    con.close()
    assert frame.loc["item_knn", "status"] == "stale" and frame.loc["knn1", "status"] == "current"
    store.delete_run(shop, "item_knn")
    assert not (folder / "item_knn.npz").exists() and "item_knn" not in {r.run_id for r in store.list_runs(shop)}


def test_a_stale_run_feeds_an_export_only_when_allowed(shop, tmp_path, capsys) -> None:
    con = connect(shop)
    run = train_model(con, shop, "popular")
    con.close()
    out = tmp_path / "campaign.csv"
    assert main(["recommend", "--db", str(shop), "--run", run.run_id, "--k", "3", "--out", str(out)]) == 0
    current = out.read_text()
    capsys.readouterr()
    _add_order(shop)
    assert main(["recommend", "--db", str(shop), "--run", run.run_id, "--k", "3", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: run {run.run_id} of popular is stale: it was trained on ") and "--allow-stale" in err
    assert "(import #99)" in err and "Traceback" not in err
    assert main(["recommend", "--db", str(shop), "--run", run.run_id, "--k", "3", "--out", str(out),
                 "--allow-stale"]) == 0
    assert out.read_text() == current  # the run's own lists, cut at its own cutoff
    for argv in (["--model", "popular", "--run", run.run_id], []):
        assert main(["recommend", "--db", str(shop), *argv]) == 2
        assert "give either --model NAME" in capsys.readouterr().err
    assert main(["models", "--trained", "--db", str(shop)]) == 0
    assert f"{run.run_id},popular,popular,stale," in capsys.readouterr().out
    assert main(["models", "delete", "--db", str(shop), "--run", "nope"]) == 2
    assert main(["models", "delete", "--db", str(shop)]) == 2
    assert "needs --run ID" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ the app (AppTest)


@pytest.fixture
def app_shop(demo_db: Path, tmp_path: Path, use_db) -> Path:
    return use_db(Path(shutil.copy(demo_db, tmp_path / "shop.duckdb")))


def _open(page: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.switch_page(page)
    at.run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _model(at: AppTest) -> str | None:
    return {m.label: m.value for m in at.metric}.get("Model")


def _train(at: AppTest, name: str) -> None:
    at.selectbox(key="train-model").set_value(name)
    at.run()
    at.button(key="train-button").click()
    at.run()
    _ok(at)


def test_two_sessions_training_different_models_never_see_each_others(app_shop) -> None:
    first, second = _open("pages/recommendations.py"), _open("pages/recommendations.py")
    assert _model(first) is None and _model(second) is None
    _train(first, "popular")
    _train(second, "repeat")
    for _ in range(2):  # each rerun (and the other session's) keeps each session's own run
        first.run()
        second.run()
        assert (_model(first), _model(second)) == ("popular", "repeat")
    for at, name in ((first, "popular"), (second, "repeat")):
        at.switch_page("pages/customer.py")
        at.run()
        _ok(at)
        assert at.selectbox(key="customer-model").value == name
        at.switch_page("pages/product.py")
        at.run()
        _ok(at)
        assert at.selectbox(key="product-model").value == name
    assert _model(_open("pages/recommendations.py")) == "repeat"  # a new session: the newest current run

    runs = {r.name: r.run_id for r in store.list_runs(app_shop)}
    second.switch_page("pages/recommendations.py")
    second.run()
    second.selectbox(key="stored-choice").set_value(runs["popular"])
    second.checkbox(key="run-delete-sure").check()
    second.run()
    second.button(key="run-delete").click()
    second.run()
    _ok(second)
    assert any(f"Deleted run {runs['popular']}" in s.value for s in second.success)
    assert runs["popular"] not in list(second.dataframe[0].value["Run"]) and _model(second) == "repeat"
    first.switch_page("pages/recommendations.py")
    first.run()  # the other session's run is gone: it falls back to the newest current run
    _ok(first)
    assert _model(first) == "repeat"


def test_damaged_and_stale_runs_on_every_page(app_shop) -> None:
    con = connect(app_shop)
    good = train_model(con, app_shop, "popular")
    bad = train_model(con, app_shop, "popular", params={"half_life_days": 7})
    con.close()
    bad.path.write_bytes(bad.path.read_bytes()[:1000])  # the newest run is truncated
    (store.models_dir(app_shop) / "als.npz").write_bytes(b"")  # an empty file of the old layout
    for page, key in (("pages/recommendations.py", None), ("pages/customer.py", "customer-model"),
                      ("pages/product.py", "product-model")):
        at = _open(page)
        assert not at.error, [e.value for e in at.error]
        if key:
            assert at.selectbox(key=key).value == "popular"
    at = _open("pages/recommendations.py")
    assert _model(at) == "popular" and at.session_state["reco_model_choice"][str(app_shop.resolve())].chosen == good.run_id
    table = at.dataframe[0].value.set_index("Run")
    assert table.loc[bad.run_id, "Status"] == "damaged" and "truncated" in table.loc[bad.run_id, "Problem"]
    assert table.loc["als", "Problem"] == "the model file is empty"
    assert any("2 run(s) cannot be read" in w.value for w in at.warning)
    at.selectbox(key="stored-choice").set_value(bad.run_id)
    at.button(key="stored-load").click()
    at.run()
    _ok(at)
    assert any(f"model run {bad.run_id} is damaged" in e.value for e in at.error) and _model(at) == "popular"

    _add_order(app_shop)  # new data: the chosen run is stale, said on screen; an export needs the tick
    at.run()
    _ok(at)
    assert any(f"Run {good.run_id} of **popular** is stale" in w.value and "(import #99)" in w.value
               for w in at.warning)
    at.button(key="FormSubmitter:export-form-Build campaign list").click()
    at.run()
    assert any("Not built: the chosen run is stale" in e.value for e in at.error)
    assert "reco_campaign" not in at.session_state
    at.checkbox(key="export-allow-stale").check()
    at.run()
    at.button(key="FormSubmitter:export-form-Build campaign list").click()
    at.run()
    _ok(at)
    assert at.session_state["reco_campaign"]["model"] == "popular"
    at.switch_page("pages/customer.py")  # the same session's stale run, marked on the preview pages too
    at.run()
    _ok(at)
    assert at.selectbox(key="customer-model").value == "popular"
    assert any(f"Run {good.run_id} of **popular** is stale" in w.value for w in at.warning)
    fresh = _open("pages/recommendations.py")  # a new session: no current run, so no choice
    assert _model(fresh) is None
    fresh.selectbox(key="stored-choice").set_value(good.run_id)
    fresh.button(key="stored-load").click()
    fresh.run()
    _ok(fresh)
    loaded = [w.value for w in fresh.warning if w.value.startswith("Loaded a stale run.")]
    assert loaded and "It knew" in loaded[0] and "products bought" in loaded[0] and _model(fresh) == "popular"
    customer = _open("pages/customer.py")
    assert not customer.error and customer.selectbox(key="customer-model").value == "repeat"  # the app's default


def test_an_evaluation_keeps_its_figures_beside_the_run(shop, capsys) -> None:
    from recs.evaluation import evaluate_models
    from recs.runs import evaluation_figures

    con = connect(shop)
    run = train_model(con, shop, "popular")
    frame = evaluate_models(con, pd.Timestamp("2024-03-01"), horizon_days=30, k=5, models=["popular", "repeat"],
                            params={"popular": run.params})
    con.close()
    figures = evaluation_figures(frame, "popular", "2024-03-01", 30)
    assert evaluation_figures(frame, "ease", "2024-03-01", 30) is None
    row = frame[(frame["model"] == "popular") & (frame["mode"] == "new")].iloc[0]
    assert figures["ndcg_new"] == row["ndcg"] and figures["eval_k"] == 5 and figures["eval_cutoff"] == "2024-03-01"
    stamp = store.stored_stamp(shop)
    store.record_figures(shop, run.run_id, figures)
    assert store.stored_stamp(shop) == stamp  # figures are not a new model version
    listed = store.list_models(shop).iloc[0]
    assert listed["run_id"] == run.run_id and listed["ndcg_new"] == row["ndcg"] and listed["eval_k"] == 5
    with pytest.raises(NotFound):
        store.record_figures(shop, "20200101-000000-popular-0000", figures)

    # the same from the CLI, for a run trained with other parameters
    con = connect(shop)
    other = train_model(con, shop, "popular", params={"half_life_days": 3})
    con.close()
    argv = ["models", "evaluate", "--db", str(shop), "--run", other.run_id, "--cutoff", "2024-03-01", "--k", "5"]
    assert main([*argv, "--quiet"]) == 0
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert printed["model"].tolist() == ["popular", "popular"] and printed["k"].tolist() == [5, 5]
    listed = store.list_models(shop).set_index("run_id")
    assert listed.loc[other.run_id, "ndcg_new"] == pytest.approx(printed.loc[printed["mode"] == "new", "ndcg"].iloc[0])
    for bad, words in ((argv[:-4], "needs --cutoff"), (["models", "evaluate", "--db", str(shop)], "needs --run ID"),
                       ([*argv[:5], "nope", *argv[6:]], "no model run 'nope'")):
        assert main(bad) == 2 and words in capsys.readouterr().err


def test_a_run_found_damaged_only_on_loading_is_skipped_and_said_once(shop) -> None:
    from recs.model_choice import Choice, run_for_name, session_run
    from recs.runs import ModelShelf

    con = connect(shop)
    older = train_model(con, shop, "popular", params={"half_life_days": 7})
    newer = train_model(con, shop, "popular")
    _damage(newer.path, "missing array")  # the header reads fine: listed as readable
    assert not {r.run_id: r for r in store.list_runs(shop)}[newer.run_id].damaged
    shelf, choice = ModelShelf(), Choice()
    assert session_run(shelf, con, shop, choice).run_id == older.run_id  # the newest that loads
    assert len(choice.news) == 1 and f"model run {newer.run_id} is damaged" in choice.news[0]
    choice.news.clear()
    assert run_for_name(shelf, con, shop, "popular", choice).run_id == older.run_id
    assert session_run(shelf, con, shop, choice).run_id == older.run_id and choice.news == []  # said once
    con.close()
