"""What the walk-through of a new user (docs/walkthrough.md) found and fixed, through the real app (AppTest) on real
DuckDB files: the Data page's history and delete choice per shop, its re-import note, the CDNOW preview, the
Recommendations page's reasons in full, and the evaluation's figures beside the run in the table of runs."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from recs.db import connect
from recs.importer import delete_import, import_files
from tests.conftest import REPO, SHARED

CDNOW = SHARED / "cdnow" / "CDNOW_sample.txt"


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _open(page: str, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.switch_page(page)
    at.query_params.update(query or {})
    at.run()
    _ok(at)
    return at


@pytest.fixture
def shops(demo_db: Path, tmp_path: Path, use_db) -> tuple[Path, Path]:
    """A data folder with a copy of the demo (the home shop) and a CDNOW shop whose import was deleted."""
    demo = use_db(Path(shutil.copy(demo_db, tmp_path / "demo.duckdb")))
    cdnow = tmp_path / "cdnow.duckdb"
    con = connect(cdnow)
    (report,) = import_files(con, orders=CDNOW, fmt="cdnow")
    delete_import(con, report.id)
    con.close()
    return demo, cdnow


def test_history_labels_a_deletion_and_the_delete_choice_belongs_to_its_shop(shops) -> None:
    demo, _ = shops
    at = _open("pages/data.py")
    choice = at.selectbox(key=f"data_delete_id-{demo}")  # keyed by the shop: another shop's #1 is another import
    assert choice.value == 1 and "demo" in choice.format_func(choice.value)
    at = _open("pages/data.py", {"shop": "cdnow"})
    history = at.dataframe[-1].value
    assert list(history.columns) == ["id", "kind", "file_name", "format", "rows_read", "rows_kept", "rows_removed",
                                     "rows_rejected", "started_at", "finished_at", "seconds"]
    row = history.iloc[0]  # the deletion: what it deleted and how many rows it removed, not "kept"
    assert row["kind"] == "deletion of orders" and row["rows_removed"] == 6_919 and str(row["rows_kept"]) == "<NA>"
    assert at.dataframe[-1].proto.placeholder == ""  # a blank cell on screen, where Streamlit would write 'None'
    assert not [s for s in at.selectbox if str(s.key).startswith("data_delete_id")]  # nothing left to delete
    held = {m.label: m.value for m in at.metric}  # the imports table also records the deletion: not an import
    assert held["imports"] == "0" and held["order lines"] == "0"


def test_reasons_in_full_and_the_evaluated_runs_figures_in_front(shops) -> None:
    at = _open("pages/recommendations.py")
    at.selectbox(key="train-model").set_value("item_knn").run()
    at.button(key="train-button").click().run()
    _ok(at)
    runs = at.dataframe[0].value  # what a run is and how good it was come first; a wide table scrolls sideways
    assert list(runs.columns[:6]) == ["Run", "Model", "Status", "NDCG new", "NDCG all", "Evaluated at cutoff"]
    assert runs["NDCG new"].isna().all()

    reasons = [e for e in at.expander if e.label == "Reasons in full"]  # the preview tab: each reason as text
    assert len(reasons) == 1
    lines = [m.value for m in reasons[0].markdown]
    assert len(lines) == 10 and lines[0].startswith("1. **")
    table = at.dataframe[1].value  # the preview keeps the names (the CSV's); the screen shows labels
    assert list(table.columns) == ["customer_id", "rank", "product_id", "product_name", "score", "reason"]
    for line, reason in zip(lines, table["reason"], strict=True):
        assert line.endswith(reason.replace("*", "\\*").replace("[", "\\[").replace("]", "\\]"))
    assert max(len(r) for r in table["reason"]) > 60  # long enough that a table cell would cut it

    at.multiselect(key="eval-models").set_value(["item_knn"])
    at.button(key="FormSubmitter:eval-form-Run evaluation").click().run()
    _ok(at)
    runs = at.dataframe[0].value  # the evaluation of the chosen run is kept beside it and listed
    evaluated = at.session_state["reco_eval"]["frame"]
    ndcg_new = evaluated.loc[evaluated["mode"] == "new", "ndcg"].iloc[0]
    assert runs["NDCG new"].iloc[0] == pytest.approx(ndcg_new)
    assert runs["Evaluated at cutoff"].iloc[0] == at.session_state["reco_eval"]["cutoff"]

    at.number_input(key="export-k").set_value(3)
    at.button(key="FormSubmitter:export-form-Build campaign list").click().run()
    _ok(at)
    campaign = at.session_state["reco_campaign"]["campaign"]
    assert any(f"The first 200 of {campaign.rows:,} rows" in c.value for c in at.caption)
    who = at.selectbox(key="campaign-why-customer")  # one customer's reasons at a time
    first = campaign.frame["customer_id"].iloc[0]
    assert who.value == first
    second = campaign.frame["customer_id"].drop_duplicates().iloc[1]
    who.set_value(second).run()
    shown = [e for e in at.expander if e.label == "Reasons in full"]
    assert any(len([m for m in e.markdown if m.value[:2] in ("1.", "2.", "3.")]) == 3 for e in shown)


def test_cli_evaluate_keeps_figures_beside_the_runs_it_evaluated(demo_db: Path, tmp_path: Path, capsys) -> None:
    from recs.cli import main
    from recs.models import store
    from recs.training import train_model

    shop = Path(shutil.copy(demo_db, tmp_path / "shop.duckdb"))
    con = connect(shop)
    default = train_model(con, shop, "popular")  # the parameters `evaluate` fits without --tune
    other = train_model(con, shop, "popular", params={"half_life_days": 3})
    con.close()
    assert main(["evaluate", "--db", str(shop), "--cutoff", "2025-11-01", "--models", "popular", "--k", "5"]) == 0
    captured = capsys.readouterr()
    printed = pd.read_csv(io.StringIO(captured.out))
    assert f"figures kept beside 1 stored run(s) trained with these parameters: {default.run_id}" in captured.err
    listed = store.list_models(shop).set_index("run_id")
    ndcg_new = printed.loc[printed["mode"] == "new", "ndcg"].iloc[0]
    assert listed.loc[default.run_id, "ndcg_new"] == pytest.approx(ndcg_new, abs=1e-12)
    assert listed.loc[default.run_id, "eval_cutoff"] == "2025-11-01" and listed.loc[default.run_id, "eval_k"] == 5
    assert pd.isna(listed.loc[other.run_id, "ndcg_new"])  # other parameters: not what was evaluated


def test_an_experiment_without_a_complete_window_yet_says_so_without_none_or_an_empty_chart(shops, tmp_path) -> None:
    from recs.cli import main

    demo, _ = shops
    out = tmp_path / "campaign.csv"  # a campaign exported today: every window runs past the data's end
    assert main(["recommend", "--db", str(demo), "--model", "popular", "--k", "3", "--holdout", "0.1",
                 "--experiment", "late-campaign", "--out", str(out), "--quiet"]) == 0
    at = _open("pages/experiments.py")
    at.selectbox(key="exp_id").set_value("late-campaign").run()
    _ok(at)
    table = at.dataframe[0].value
    assert table["p-value"].isna().all() and "None" not in table.astype(str).to_numpy()
    assert at.dataframe[0].proto.placeholder == "—"  # what a missing p-value shows, where Streamlit wrote 'None'
    assert any(i.value.startswith("Nothing to draw yet") for i in at.info)
    assert any(w.value.startswith("4,9") and "customer(s) left out" in w.value for w in at.warning)


def test_the_run_picker_follows_a_new_training(shops) -> None:
    at = _open("pages/recommendations.py")
    for name in ("popular", "item_knn"):
        at.selectbox(key="train-model").set_value(name).run()
        at.button(key="train-button").click().run()
        _ok(at)
        picked = at.selectbox(key="stored-choice")
        assert picked.format_func(picked.value).startswith(f"{name} · "), picked.value  # not the run before


def test_an_orders_only_shop_names_every_page_that_works_on_it(tmp_path: Path, use_db) -> None:
    shop = use_db(tmp_path / "cdnow.duckdb")
    con = connect(shop)
    import_files(con, orders=CDNOW, fmt="cdnow")
    con.close()
    at = _open("pages/recommendations.py")
    assert any("The Overview, Retention, Customers and Predict pages work on this shop" in i.value for i in at.info)


def test_a_taken_shop_name_says_how_to_add_to_that_shop(tmp_path: Path) -> None:
    from recs import shops as shop_files
    from recs.errors import InputError

    connect(tmp_path / "cdnow_sample.duckdb").close()
    with pytest.raises(InputError, match=r"open that shop \(the sidebar; --db in the command line\) and add"):
        shop_files.new_shop_path(tmp_path, "CDNOW_sample")  # "add to it" read as the open shop's radio button
