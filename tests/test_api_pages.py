"""The service seen from the app: the Data page imports the spooled orders, the Recommendations page tells when the
served model was last fully trained and how many posted orders it has folded in since."""

from __future__ import annotations

from conftest import open_page

from tests.test_api_support import copy_shop, train


def _spool_one_order(db) -> None:
    from recs.service.spool import Spool, default_spool_dir

    spool = Spool(default_spool_dir(db))
    spool.append("order", {"order_id": "page-1", "customer_id": "C00042", "ordered_at": "2026-01-03 09:00:00",
                           "lines": [{"product_id": "PET-009", "quantity": 2.0, "unit_price": 4.5}], "country": None})
    spool.close()


def test_data_page_imports_the_services_orders(use_db, demo_db, tmp_path):
    from recs.db import connect

    db = use_db(copy_shop(demo_db, tmp_path))
    _spool_one_order(db)
    at = open_page("pages/data.py")
    assert any("1 order(s)" in c.value for c in at.caption)
    at.button(key="data_import_spool").click().run()
    assert not at.exception
    assert any("1 new order(s)" in s.value for s in at.success)
    con = connect(db)  # the page's configuration: one process may hold several connections of one kind
    try:
        assert con.execute("SELECT count(*) FROM order_lines WHERE order_id = 'page-1'").fetchall()[0][0] == 1
    finally:
        con.close()


def test_recommendations_page_shows_the_served_models_training_and_orders_since(use_db, demo_db, tmp_path):
    db = use_db(copy_shop(demo_db, tmp_path))
    train(db, "popular")
    _spool_one_order(db)
    at = open_page("pages/recommendations.py")
    text = " ".join(c.value for c in at.caption)
    assert "The API service serves popular, last fully trained" in text
    assert "folded in 1 order(s) posted since" in text
