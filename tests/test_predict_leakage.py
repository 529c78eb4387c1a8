"""No leakage: a forecast from a cutoff reads nothing at or after it. Changing every line after the cutoff (prices,
customers, deleting some, adding new ones) changes no prediction of any model."""

from __future__ import annotations

import shutil

import pandas as pd

from recs.db import connect, refresh_derived
from recs.predict import forecast
from recs.predict.data import ShopData
from recs.predict.registry import BACKTEST_MODELS, get_predictor
from recs.predict.stacked import Stacked

CUTOFF = "2025-07-01"


def predictions(path) -> dict[str, pd.DataFrame]:
    con = connect(path)
    try:
        shop = ShopData(con)
        out = {"forecast": forecast(con, CUTOFF, 90, "best", shop=shop).frame}
        for name in BACKTEST_MODELS:
            out[name] = get_predictor(name).fit(shop, pd.Timestamp(CUTOFF), 90).predict()
        out["stacked"] = Stacked().fit(shop, pd.Timestamp(CUTOFF), 90).predict()
        return out
    finally:
        con.close()


def test_changing_lines_after_the_cutoff_changes_no_prediction(demo_db, tmp_path):
    changed = tmp_path / "changed.duckdb"
    shutil.copy(demo_db, changed)
    con = connect(changed)
    after = [pd.Timestamp(CUTOFF).to_pydatetime()]
    con.execute("UPDATE order_lines SET unit_price = unit_price * 3, quantity = quantity + 1 WHERE ordered_at >= ?",
                after)
    con.execute("UPDATE order_lines SET customer_id = 'C00001' WHERE ordered_at >= ? AND line_no = 2", after)
    con.execute("DELETE FROM order_lines WHERE ordered_at >= ? AND line_no = 3", after)
    con.execute("INSERT INTO order_lines SELECT order_id || '-x', line_no, customer_id, ordered_at + INTERVAL 40 DAY, "
                "product_id, quantity, unit_price, status, country, import_id FROM order_lines "
                "WHERE ordered_at >= ? AND ordered_at < TIMESTAMP '2025-11-01'", after)
    refresh_derived(con)
    con.close()
    before, later = predictions(demo_db), predictions(changed)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(frame, later[name], check_exact=True, obj=name)
