"""The Recommendations, Customer and Product pages through the real app (AppTest) on a copy of the demo shop."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from recs.db import connect
from tests.conftest import REPO


@pytest.fixture
def shop(demo_db: Path, tmp_path: Path, use_db) -> Path:
    """A private copy of the demo shop (training stores models next to it, a holdout writes assignments)."""
    return use_db(Path(shutil.copy(demo_db, tmp_path / "shop.duckdb")))


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _open(page: str, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.switch_page(page)  # straight to the page (no Overview render first)
    at.query_params.update(query or {})
    at.run()
    _ok(at)
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _train(at: AppTest, name: str) -> None:
    at.selectbox(key="train-model").set_value(name)
    at.run()
    at.button(key="train-button").click()
    at.run()


def test_train_rules_and_export_match_the_cli(shop):
    done = subprocess.run([sys.executable, "-m", "recs", "recommend", "--db", str(shop), "--model", "item_knn",
                           "--k", "5", "--out", "-"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    at = _open("pages/recommendations.py")
    assert any("No model chosen yet" in i.value for i in at.info)
    _train(at, "item_knn")
    _ok(at)
    metrics = _metrics(at)
    assert metrics["Model"] == "item_knn"
    assert int(metrics["Customers"].replace(",", "")) > 0 and metrics["Fit time"].endswith(" s")
    assert any("Trained **item_knn**" in s.value for s in at.success)
    assert "item_knn" in list(at.dataframe[0].value["Model"])  # the table of stored runs

    at.number_input(key="export-k").set_value(5)
    at.button(key="FormSubmitter:export-form-Build campaign list").click()
    at.run()
    _ok(at)
    frame = at.session_state["reco_campaign"]["campaign"].frame
    assert frame.to_csv(index=False, lineterminator="\n") == done.stdout  # the page's CSV is the CLI's CSV
    assert at.download_button(key="dl-campaign").label == "Download campaign list"

    # a rule set applies to the export: no product of an excluded category
    con = connect(shop)
    biggest = con.execute("SELECT p.category FROM valid_lines v JOIN products p USING (product_id) "
                          "WHERE p.is_product GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    categories = dict(con.execute("SELECT product_id, category FROM products").fetchall())
    con.close()
    at.multiselect[1].select(biggest)  # "Never these categories"
    at.button(key="FormSubmitter:rules-form-Apply rules").click()
    at.run()
    _ok(at)
    assert any(f"Never categories: {biggest}" in m.value for m in at.markdown)
    at.button(key="FormSubmitter:export-form-Build campaign list").click()
    at.run()
    _ok(at)
    ruled = at.session_state["reco_campaign"]["campaign"].frame
    assert len(ruled) and not (ruled["product_id"].map(categories) == biggest).any()


def test_failed_training_keeps_the_previous_model(shop):
    con = connect(shop)
    first_day = con.execute("SELECT CAST(min(ordered_at) AS DATE) FROM valid_lines").fetchone()[0]
    con.close()
    at = _open("pages/recommendations.py")
    _train(at, "popular")
    assert _metrics(at)["Model"] == "popular"
    at.selectbox(key="train-model").set_value("repeat")
    at.checkbox(key="train-all").uncheck()
    at.run()
    at.date_input(key="train-until").set_value(first_day)  # nothing before the first order
    at.run()
    at.button(key="train-button").click()
    at.run()
    assert not at.exception
    assert any("no orders before" in e.value for e in at.error), [e.value for e in at.error]
    assert _metrics(at)["Model"] == "popular"


def test_holdout_export_records_assignments(shop):
    at = _open("pages/recommendations.py")
    at.selectbox(key="train-model").set_value("popular")
    at.run()
    at.number_input(key="train-popular-half_life_days").set_value(7.0)  # a widget drawn from the ParamSpec
    _train(at, "popular")
    assert any("half_life_days=7.0" in c.value for c in at.caption), [c.value for c in at.caption]
    at.number_input(key="export-holdout").set_value(0.2)
    at.text_input(key="export-experiment").input("page-holdout")
    at.button(key="FormSubmitter:export-form-Build campaign list").click()
    at.run()
    _ok(at)
    campaign = at.session_state["reco_campaign"]["campaign"]
    from pages.parts.common import _connection

    con = _connection(str(shop)).cursor()
    recorded = con.execute("SELECT customer_id, variant FROM assignments WHERE experiment_id = 'page-holdout'").df()
    control = set(recorded.loc[recorded["variant"] == "control", "customer_id"])
    assert campaign.held_out == len(control) > 0
    assert not set(campaign.frame["customer_id"]) & control
    assert set(campaign.frame["customer_id"]) | control == set(recorded["customer_id"])
    assert any("held out as control" in m.value for m in at.markdown)
    assert _metrics(at)["Model"] == "popular"  # recording assignments is not new order data: the model stays


def test_customer_page_deep_link_and_compare(shop):
    con = connect(shop)
    customer = con.execute("SELECT customer_id FROM orders WHERE customer_id IS NOT NULL GROUP BY 1 "
                           "ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    orders = con.execute("SELECT count(*) FROM orders WHERE customer_id = ?", [customer]).fetchone()[0]
    con.close()
    at = _open("pages/customer.py", {"customer": customer})
    assert at.selectbox(key="customer-pick").value == customer
    assert _metrics(at)["Orders"] == f"{orders:,}"
    model = at.selectbox(key="customer-model").value
    # opening the page trains nothing: the history is there, the suggestions wait for a click
    assert not [d for d in at.dataframe if "reason" in d.value.columns]
    from recs.models import REGISTRY

    label = REGISTRY[model].label  # the model's name for people; its CLI name in brackets
    assert any(f"No trained **{label}** model ({model})" in i.value for i in at.info)
    assert at.button(key=f"customer-train-{model}").label == f"Train {label} now"
    at.button(key=f"customer-train-{model}").click()
    at.run()
    _ok(at)
    recs_tables = [d.value for d in at.dataframe if "reason" in d.value.columns]
    assert len(recs_tables) == 1 and len(recs_tables[0]) == 10
    assert recs_tables[0]["reason"].str.len().gt(0).all()
    at.selectbox(key="customer-compare").set_value("popular")
    at.run()
    _ok(at)
    at.button(key="customer-train-popular").click()
    at.run()
    _ok(at)
    recs_tables = [d.value for d in at.dataframe if "reason" in d.value.columns]
    assert len(recs_tables) == 2
    assert any(i.value for i in at.info)  # the "Why this product?" explanation
    at.selectbox(key="customer-compare").set_value(at.selectbox(key="customer-model").value)  # same model twice
    at.run()
    _ok(at)
    assert len([d for d in at.dataframe if "reason" in d.value.columns]) == 1


def test_customer_search_narrows_the_choice(shop):
    at = _open("pages/customer.py")
    first = at.selectbox(key="customer-pick").value
    at.text_input(key="customer-search").input(first[:-1])
    at.run()
    _ok(at)
    assert all(o.startswith(first[:-1]) for o in at.selectbox(key="customer-pick").options)
    at.text_input(key="customer-search").input("no-such-customer")
    at.run()
    assert not at.exception
    assert any("No customer id starts with" in i.value for i in at.info)


def test_product_page_deep_link(shop):
    con = connect(shop)
    product = con.execute("SELECT v.product_id FROM valid_lines v JOIN products p USING (product_id) "
                          "WHERE p.is_product GROUP BY 1 ORDER BY count(DISTINCT customer_id) DESC LIMIT 1"
                          ).fetchone()[0]
    con.close()
    at = _open("pages/product.py", {"product": product})
    assert at.selectbox(key="product-pick").value == product
    model = at.selectbox(key="product-model").value
    assert not [d for d in at.dataframe if "bought_before" in d.value.columns]  # no training on page open
    waiting = [c.value for c in at.caption if "model is trained" in c.value or "train it first" in c.value]
    assert len(waiting) == 2  # the empty sections say why they are empty
    at.button(key=f"product-train-{model}").click()
    at.run()
    _ok(at)
    subheaders = [s.value for s in at.subheader]
    assert subheaders == ["Similar products", "Customers who bought this also bought",
                          "Customers most likely to buy it next", "Repurchase cycle", "Due to re-buy"]
    tables = [d.value for d in at.dataframe]
    assert any("customers" in t.columns and "lift" in t.columns for t in tables)
    buyers = next(t for t in tables if "bought_before" in t.columns)
    assert len(buyers) == 50 and list(buyers["rank"]) == list(range(1, 51))
    assert not [c.value for c in at.caption if "model is trained" in c.value or "train it first" in c.value]
    assert "Median days between purchases" in _metrics(at)
    assert at.download_button(key="dl-product-buyers")
    at.checkbox(key="product-exclude").check()
    at.run()
    _ok(at)
    buyers = next(d.value for d in at.dataframe if "bought_before" in d.value.columns)
    assert (buyers["bought_before"] == 0).all()


def test_evaluation_section_shows_both_modes(shop):
    at = _open("pages/recommendations.py")
    _train(at, "popular")  # the current model is evaluated with its own parameters
    at.multiselect(key="eval-models").set_value(["popular", "repeat"])  # the cheapest models: this is the page
    at.button(key="FormSubmitter:eval-form-Run evaluation").click()
    at.run()
    _ok(at)
    frame: pd.DataFrame = at.session_state["reco_eval"]["frame"]
    assert set(frame["mode"]) == {"new", "all"} and set(frame["model"]) == {"popular", "repeat"}
    best_all = frame[frame["mode"] == "all"].sort_values("ndcg", ascending=False).iloc[0]["model"]
    assert any(m.value.startswith(f"- **all**: best is **{best_all}**") for m in at.markdown)
    assert at.get("plotly_chart") and at.download_button(key="dl-eval")
    # the paired comparison: same NDCG as the table, a verdict for every model, a chart and a download
    gaps: pd.DataFrame = at.session_state["reco_eval"]["compare"]
    assert "Is the gap real?" in [h.value for h in at.subheader]
    assert len(gaps) == 4 and (gaps["ci_low"] <= gaps["gap_to_best"]).all()
    merged = gaps.merge(frame, on=["model", "mode"], suffixes=("", "_table"))
    assert (merged["ndcg"] - merged["ndcg_table"]).abs().max() < 1e-12
    assert any(m.value.startswith(f"- **all**: **{best_all}** is best") for m in at.markdown)
    assert len(at.get("plotly_chart")) == 2 and at.download_button(key="dl-eval-gaps")


def test_preview_pages_reuse_a_stored_model_without_training(shop):
    done = subprocess.run([sys.executable, "-m", "recs", "train", "--db", str(shop), "--model", "popular", "--quiet"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.switch_page("pages/customer.py")
    at.run()
    _ok(at)
    at.selectbox(key="customer-model").set_value("popular")
    at.run()
    _ok(at)
    assert not [b for b in at.button if b.key == "customer-train-popular"]  # the CLI's stored model is used
    recs_tables = [d.value for d in at.dataframe if "reason" in d.value.columns]
    assert len(recs_tables) == 1 and len(recs_tables[0]) == 10


def test_pages_open_on_the_stored_model_after_a_restart(shop):
    """A model trained earlier (another process, before a restart) is what the preview pages show first."""
    from recs.training import train_model

    con = connect(shop)
    train_model(con, shop, "user_knn")
    train_model(con, shop, "popular")
    con.close()
    at = _open("pages/customer.py")
    assert at.selectbox(key="customer-model").value == "popular"
    recs_tables = [d.value for d in at.dataframe if "reason" in d.value.columns]
    assert len(recs_tables) == 1 and len(recs_tables[0]) == 10  # loaded from disk, no click, no training
    assert not [i for i in at.info if "No trained" in i.value]
    at = _open("pages/product.py")
    assert at.selectbox(key="product-model").value == "popular"
    at = _open("pages/recommendations.py")  # a new session opens on the newest run trained on the data now
    assert _metrics(at)["Model"] == "popular"
    user_knn = [r for r in at.selectbox(key="stored-choice").options if r.startswith("user_knn · ")]
    at.selectbox(key="stored-choice").set_value(user_knn[0].rsplit(" · ", 1)[1])  # the older run, by its id
    at.button(key="stored-load").click()
    at.run()
    _ok(at)
    assert _metrics(at)["Model"] == "user_knn"


def test_customers_page_sends_a_segment_to_the_campaign_export(shop):
    at = _open("pages/customers.py")
    at.selectbox(key="cust_segment").set_value("At risk")
    at.run()
    _ok(at)
    assert not [c for c in at.caption if "campaign list takes segments over all the data" in c.value]  # no filter
    at.button(key="cust-campaign").click()
    at.run()
    _ok(at)
    assert any("Campaign for **At risk**" in i.value for i in at.info)  # now on the Recommendations page
    at.switch_page("pages/recommendations.py")  # AppTest's own page pointer still names the Customers page
    _train(at, "popular")
    _ok(at)
    assert at.selectbox(key="export-segment").value == "At risk"
    at.button(key="FormSubmitter:export-form-Build campaign list").click()
    at.run()
    _ok(at)
    campaign = at.session_state["reco_campaign"]["campaign"]
    con = connect(shop)
    from recs.metrics import rfm_segments

    at_risk = set(rfm_segments(con).query("segment == 'At risk'")["customer_id"])
    con.close()
    assert set(campaign.frame["customer_id"]) <= at_risk and len(set(campaign.frame["customer_id"])) > 0
    # with a filter on the Customers page, the page says the campaign's segments are the whole shop's
    at = _open("pages/customers.py")
    at.selectbox(key="cust_country").set_value("Germany")
    at.run()
    _ok(at)
    assert [c for c in at.caption if "campaign list takes segments over all the data" in c.value]
