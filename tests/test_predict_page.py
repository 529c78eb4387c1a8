"""The Predict page in AppTest: the forecast with its backtest beside it, the charts, the at-risk list, and the
friendly states of an empty shop and a shop too young to predict."""

from __future__ import annotations

import shutil

from recs.db import connect, refresh_derived
from tests.conftest import open_page

PAGE = "pages/predict.py"


def test_predict_page_on_the_demo_shop(demo_db, use_db):
    use_db(demo_db)
    at = open_page(PAGE)
    assert at.title[0].value == "Predict"
    headers = [h.value for h in at.subheader]
    assert headers[:4] == ["The next 90 days", "Still a customer?", "Value x risk", "Top customers at risk"]
    assert "How right was it?" in headers
    sentence = at.success[0].value
    assert sentence.startswith("On the last 90 days") and "orders per customer" in sentence
    labels = [m.label for m in at.metric]
    assert "Expected orders" in labels and "Backtest: total off by" in labels
    risky = at.dataframe[0].value
    assert len(risky) > 0 and set(risky["churn_risk"]) <= {"medium", "high"}
    assert len(at.get("plotly_chart")) == 3
    at.radio(key="pred_model").set_value("bgnbd").run()  # another model: no exception, still a verdict
    assert not at.exception and at.success[0].value.startswith("On the last 90 days")


def test_predict_page_on_an_empty_shop(empty_db, use_db):
    use_db(empty_db)
    at = open_page(PAGE)
    assert "no orders yet" in at.info[0].value


def test_predict_page_says_what_is_missing_in_a_young_shop(demo_db, use_db, tmp_path):
    young = tmp_path / "young.duckdb"
    shutil.copy(demo_db, young)
    con = connect(young)
    con.execute("DELETE FROM order_lines WHERE ordered_at >= TIMESTAMP '2024-04-01'")
    refresh_derived(con)
    con.close()
    use_db(young)
    at = open_page(PAGE)
    assert "too little history" in at.error[0].value
