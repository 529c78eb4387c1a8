"""Stored predictions (recs/predict/store.py, refresh.py): the frames and metadata come back equal, a new import
makes them stale (the older ones stay readable until the new ones are stored, then are pruned), a damaged file is
treated as missing with its reason and recomputed, and `python -m recs predict refresh` stores what the pages
show."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from recs.cli import main
from recs.db import connect, refresh_derived
from recs.importer import import_files
from recs.predict import store
from recs.predict.refresh import DEFAULT_FORECAST, PAGE_ITEMS, REBUY, current_fingerprint, refresh_predictions
from recs.predict.store import DamagedPredictions, Item

BACKTEST_30 = Item("backtest", 30)
STORED = (DEFAULT_FORECAST, REBUY, BACKTEST_30)


@pytest.fixture(scope="module")
def stored(demo_db, tmp_path_factory):
    """A copy of the demo shop with three items stored, and what computing them returned."""
    path = tmp_path_factory.mktemp("store") / "shop.duckdb"
    shutil.copy(demo_db, path)
    con = connect(path, read_only=True)
    fingerprint = current_fingerprint(con)
    outcomes = refresh_predictions(con, path, STORED, fingerprint=fingerprint)
    con.close()
    return path, fingerprint, {o.item: o.value for o in outcomes}


def _copy(shop, target):
    shutil.copy(shop, target)
    shutil.copytree(f"{shop}.models", f"{target}.models")
    return target


def test_stored_forecast_backtest_and_rebuy_come_back_equal(stored):
    path, fingerprint, computed = stored
    forecast = store.load(path, fingerprint, DEFAULT_FORECAST).value
    made = computed[DEFAULT_FORECAST]
    pd.testing.assert_frame_equal(forecast.frame, made.frame)
    pd.testing.assert_series_equal(forecast.revenue_to_date, made.revenue_to_date)
    assert (forecast.cutoff, forecast.horizon_days, forecast.model, forecast.used, forecast.notes,
            forecast.choice_scores, forecast.history_days) == (made.cutoff, made.horizon_days, made.model, made.used,
                                                               made.notes, made.choice_scores, made.history_days)
    judged, ran = store.load(path, fingerprint, BACKTEST_30).value, computed[BACKTEST_30]
    pd.testing.assert_frame_equal(judged.table, ran.table)
    pd.testing.assert_frame_equal(judged.calibration, ran.calibration)
    assert (judged.cutoff, judged.best_choice, judged.actual_orders, judged.actual_revenue, judged.notes) == (
        ran.cutoff, ran.best_choice, ran.actual_orders, ran.actual_revenue, ran.notes)
    pd.testing.assert_frame_equal(store.load(path, fingerprint, REBUY).value, computed[REBUY])
    meta = json.loads((store.version_dir(path, fingerprint) / "forecast-90-best.json").read_text())
    assert meta["fingerprint"] == fingerprint and meta["meta"]["used"] == made.used  # readable without DuckDB
    assert store.load(path, fingerprint, Item("forecast", 30, "best")) is None  # never stored: missing
    assert not list(store.predictions_dir(path).rglob("*.tmp"))  # written atomically, no temporary files left


def test_a_new_import_makes_them_stale_and_the_older_ones_are_pruned_once_replaced(stored, tmp_path):
    old_path, old_fingerprint, _ = stored
    shop = _copy(old_path, tmp_path / "shop.duckdb")
    orders = tmp_path / "more.csv"
    orders.write_text("order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
                      "NEW-1,NEW-C1,2025-12-31 10:00:00,BAK-019,1,9.5\n")
    con = connect(shop)
    import_files(con, orders=orders)
    now = current_fingerprint(con)
    assert now != old_fingerprint and store.version_name(now) != store.version_name(old_fingerprint)
    assert store.load(shop, now, REBUY) is None  # the stored one is for older data
    older = store.older(shop, now, REBUY)
    assert older is not None and older.fingerprint == old_fingerprint
    refresh_predictions(con, shop, (REBUY,), fingerprint=now)
    con.close()
    assert store.load(shop, now, REBUY).fingerprint == now
    assert [p.name for p in store.predictions_dir(shop).iterdir()] == [store.version_name(now)]  # older pruned
    assert store.older(shop, now, DEFAULT_FORECAST) is None


def test_a_damaged_file_is_missing_with_its_reason_and_recomputed(stored, tmp_path):
    shop = _copy(stored[0], tmp_path / "shop.duckdb")
    fingerprint = stored[1]
    folder = store.version_dir(shop, fingerprint)
    frame = folder / "rebuy-30.frame.parquet"
    frame.write_bytes(frame.read_bytes()[:100])  # cut short
    with pytest.raises(DamagedPredictions, match="rebuy-30.*checksum"):
        store.load(shop, fingerprint, REBUY)
    (folder / "forecast-90-best.json").write_text("{not json")
    with pytest.raises(DamagedPredictions, match="not valid JSON"):
        store.load(shop, fingerprint, DEFAULT_FORECAST)
    con = connect(shop, read_only=True)
    outcomes = refresh_predictions(con, shop, (REBUY, BACKTEST_30), fingerprint=fingerprint)
    con.close()
    assert [(o.item, o.computed) for o in outcomes] == [(REBUY, True), (BACKTEST_30, False)]  # only the damaged
    pd.testing.assert_frame_equal(store.load(shop, fingerprint, REBUY).value, stored[2][REBUY])


def test_cli_predict_refresh_stores_what_the_pages_show(stored, tmp_path, capsys):
    shop = _copy(stored[0], tmp_path / "shop.duckdb")
    assert main(["predict", "refresh", "--db", str(shop)]) == 0
    err = capsys.readouterr().err
    assert f"[1/{len(PAGE_ITEMS)}] the 90-day forecast (best)" in err and "already stored" in err
    assert f"{len(PAGE_ITEMS) - len(STORED)} of {len(PAGE_ITEMS)} computed" in err
    for item in PAGE_ITEMS:
        assert (store.version_dir(shop, stored[1]) / f"{item.name}.json").is_file()
    assert main(["predict", "refresh", "--db", str(shop)]) == 0
    assert f"0 of {len(PAGE_ITEMS)} computed" in capsys.readouterr().err
    assert main(["predict", "--db", str(shop)]) == 2  # predictions to a file still need --out
    assert "--out" in capsys.readouterr().err


def test_cli_predict_refresh_on_a_young_shop_says_what_is_missing(demo_db, tmp_path, capsys):
    young = tmp_path / "young.duckdb"
    shutil.copy(demo_db, young)
    con = connect(young)
    con.execute("DELETE FROM order_lines WHERE ordered_at >= TIMESTAMP '2024-02-15'")
    refresh_derived(con)
    fingerprint = current_fingerprint(con)
    con.close()
    assert main(["predict", "refresh", "--db", str(young)]) == 2
    assert "error: too little history" in capsys.readouterr().err
    kept = store.load(young, fingerprint, DEFAULT_FORECAST)  # the answer is stored: nobody refits it for this data
    assert kept.value is None and "too little history" in kept.error


def test_the_worker_stores_a_shops_first_items_then_yields_to_another_shop(stored, demo_db, tmp_path):
    from recs.predict import shelf

    first = _copy(stored[0], tmp_path / "first.duckdb")
    second = tmp_path / "second.duckdb"
    shutil.copy(demo_db, second)
    con_first, con_second = connect(first, read_only=True), connect(second, read_only=True)
    try:
        shelf.start(con_first, first, stored[1])
        assert shelf.wait_for(first, Item("backtest", 90), 300)  # its first three: two stored, one computed
        shelf.start(con_second, second, current_fingerprint(con_second))
        assert shelf.wait_for(second, DEFAULT_FORECAST, 300)  # the shop looked at now comes first
        assert shelf.job_status(con_first, first).state == "stopped"  # one worker: the first job has ended
        done = {p.stem for p in store.version_dir(first, stored[1]).glob("*.json")}
        assert {"forecast-90-best", "rebuy-30", "backtest-90"} <= done and len(done) < len(PAGE_ITEMS)
    finally:
        shelf.stop_worker()
        con_first.close()
        con_second.close()
