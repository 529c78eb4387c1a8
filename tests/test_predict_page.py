"""The Predict page in AppTest: stored figures on the first run (the forecast with its backtest beside it, the
charts, the at-risk list), the background worker's progress state and the figures once it is done, figures of
older data marked after an import, and the friendly states of an empty shop and a shop too young to predict."""

from __future__ import annotations

import shutil

import pytest

from recs.db import connect, refresh_derived
from recs.importer import import_files
from recs.predict import shelf
from recs.predict.refresh import DEFAULT_FORECAST, REBUY, refresh_predictions
from recs.predict.store import Item
from tests.conftest import open_page

PAGE = "pages/predict.py"
BACKTEST_90 = Item("backtest", 90)
WAIT = 300  # seconds: the worker on a loaded machine (a test waits for the state, never a fixed time)


@pytest.fixture(autouse=True)
def _no_worker_left():
    yield
    shelf.stop_worker()  # what a test did not wait for does not run on into the next test


@pytest.fixture(scope="module")
def stored_shop(demo_db, tmp_path_factory):
    """A copy of the demo shop with the default forecast, the 90-day backtest and re-buy list stored beside it."""
    path = tmp_path_factory.mktemp("stored") / "shop.duckdb"
    shutil.copy(demo_db, path)
    con = connect(path, read_only=True)
    refresh_predictions(con, path, (DEFAULT_FORECAST, BACKTEST_90, REBUY))
    con.close()
    return path


def _background(at) -> list[str]:
    return [i.value for i in at.info if "in the background" in i.value]


def test_predict_page_shows_stored_figures_on_the_first_run(stored_shop, use_db):
    use_db(stored_shop)
    at = open_page(PAGE)
    assert at.title[0].value == "Predict"
    headers = [h.value for h in at.subheader]
    assert headers[:4] == ["The next 90 days", "Still a customer?", "Value x risk", "Top customers at risk"]
    assert "How right was it?" in headers
    assert not _background(at) and not at.warning  # current figures: nothing computing for them
    sentence = at.success[0].value
    assert sentence.startswith("On the last 90 days") and "orders per customer" in sentence
    labels = [m.label for m in at.metric]
    assert "Expected orders" in labels and "Backtest: total off by" in labels
    risky = at.dataframe[0].value
    assert len(risky) > 0 and set(risky["churn_risk"]) <= {"medium", "high"}
    assert len(at.get("plotly_chart")) == 3
    at.radio(key="pred_model").set_value("bgnbd").run()  # not stored yet: computed first by the worker
    assert not at.exception and "Fitting the forecast on" in _background(at)[0]
    assert shelf.wait_for(stored_shop, Item("forecast", 90, "bgnbd"), WAIT)
    at.run()
    assert not at.exception and at.success[0].value.startswith("On the last 90 days")
    assert any("BG/NBD" in c.value for c in at.caption)


def test_predict_page_without_stored_figures_fills_in_from_the_worker(demo_db, use_db, tmp_path):
    shop = tmp_path / "fresh.duckdb"
    shutil.copy(demo_db, shop)
    use_db(shop)
    at = open_page(PAGE)
    waiting = _background(at)
    assert waiting and "order lines in the background" in waiting[0] and "updates itself" in waiting[0]
    assert not at.dataframe and not at.metric  # no figures, no fit in the page run
    assert shelf.wait_for(shop, DEFAULT_FORECAST, WAIT) and shelf.wait_for(shop, BACKTEST_90, WAIT)
    at.run()
    assert not at.exception and not _background(at)
    assert at.success[0].value.startswith("On the last 90 days") and len(at.dataframe[0].value) > 0
    assert (shop.parent / "fresh.duckdb.models" / "predictions").is_dir()


def test_predict_page_recomputes_a_damaged_stored_forecast(stored_shop, use_db, tmp_path):
    shop = tmp_path / "damaged.duckdb"
    shutil.copy(stored_shop, shop)
    shutil.copytree(f"{stored_shop}.models", f"{shop}.models")
    (parquet,) = (shop.parent / "damaged.duckdb.models" / "predictions").glob("*/forecast-90-best.frame.parquet")
    parquet.write_bytes(b"not parquet")
    use_db(shop)
    at = open_page(PAGE)  # no traceback: missing, with its reason, and being computed again
    assert any("could not be read" in c.value and "checksum" in c.value for c in at.caption)
    assert _background(at)
    assert shelf.wait_for(shop, DEFAULT_FORECAST, WAIT)
    at.run()
    assert not at.exception and at.success[0].value.startswith("On the last 90 days")


def test_predict_page_marks_figures_of_older_data_after_an_import(stored_shop, use_db, tmp_path):
    shop = tmp_path / "imported.duckdb"
    shutil.copy(stored_shop, shop)
    shutil.copytree(f"{stored_shop}.models", f"{shop}.models")
    orders = tmp_path / "more.csv"
    orders.write_text("order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
                      "NEW-1,NEW-C1,2025-12-31 10:00:00,BAK-019,1,9.5\n")
    con = connect(shop)
    import_files(con, orders=orders)
    con.close()
    use_db(shop)
    at = open_page(PAGE)
    assert any("from data before the last import" in w.value for w in at.warning)
    assert at.success[0].value.startswith("On the last 90 days")  # the older figures, shown meanwhile
    assert shelf.wait_for(shop, DEFAULT_FORECAST, WAIT) and shelf.wait_for(shop, BACKTEST_90, WAIT)
    at.run()
    assert not at.exception and not any("before the last import" in w.value for w in at.warning)


def test_customer_and_product_pages_read_the_stored_figures(stored_shop, use_db):
    use_db(stored_shop)
    at = open_page("pages/customer.py")
    assert "Still a customer" in [m.label for m in at.metric]  # first run, no fit, no button
    assert not at.toggle and not [c.value for c in at.caption if "in the background" in c.value]
    at = open_page("pages/product.py")
    assert "Due to re-buy" in [h.value for h in at.subheader]
    assert not at.toggle and not [c.value for c in at.caption if "in the background" in c.value]


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
    assert shelf.wait_for(young, DEFAULT_FORECAST, WAIT)
    at.run()
    assert "too little history" in at.error[0].value
