"""The win-back audience reads the stored forecast the Predict page shows (recs/predict/audiences.py): the same
customers in the same order, nothing fitted when one is stored for the data now, stored when it was missing,
never a forecast stored for data before the last import, and an earlier cutoff fitted apart (not stored)."""

from __future__ import annotations

import dataclasses
import shutil

import pandas as pd
import pytest

from recs.db import connect
from recs.export import campaign_customers, fit_model, model_cutoff
from recs.importer import import_files
from recs.predict import store
from recs.predict.audiences import audience_customers
from recs.predict.refresh import DEFAULT_FORECAST, current_fingerprint
from recs.predict.report import WIN_BACK, at_risk, win_back


def _ids(frame: pd.DataFrame) -> list[str]:
    return frame["customer_id"].astype(str).tolist()


def _moved(forecast):
    """The forecast with its risk bands changed where it matters: the richest low-risk customer becomes high
    risk and the richest one at risk becomes low (a fit would not give these: the audience must have read it)."""
    frame = forecast.frame.copy()
    revenue = forecast.revenue_to_date.to_numpy()
    low = frame.index[frame["churn_risk"] == "low"]
    risky = frame.index[frame["churn_risk"] != "low"]
    up, down = low[revenue[low].argmax()], risky[revenue[risky].argmax()]
    frame.loc[up, "churn_risk"], frame.loc[down, "churn_risk"] = "high", "low"
    return dataclasses.replace(forecast, frame=frame), str(frame.loc[up, "customer_id"])


@pytest.fixture
def shop(demo_db, tmp_path):
    return shutil.copy(demo_db, tmp_path / "shop.duckdb")


def test_win_back_is_the_stored_forecasts_list_and_a_stale_one_is_not_used(shop, tmp_path):
    con = connect(shop)
    fingerprint = current_fingerprint(con)
    assert store.load(shop, fingerprint, DEFAULT_FORECAST) is None

    first = audience_customers(con, None, WIN_BACK)  # nothing stored: computed and stored, as the worker would
    stored = store.load(shop, fingerprint, DEFAULT_FORECAST)
    assert stored is not None and stored.error is None
    assert first == _ids(win_back(stored.value)) and len(first) > 50

    moved, promoted = _moved(stored.value)  # what the Predict page would now show
    store.save(shop, fingerprint, DEFAULT_FORECAST, value=moved)
    audience = audience_customers(con, None, WIN_BACK)
    assert audience == _ids(win_back(moved)) != first and promoted in audience
    assert audience == _ids(at_risk(moved))[:len(audience)]  # the page's "top customers at risk", from the top
    model = fit_model(con, "popular").model  # a model trained on all data: its cutoff is the stored forecast's
    assert model_cutoff(model) == moved.cutoff
    assert campaign_customers(con, model_cutoff(model), WIN_BACK) == audience
    earlier = audience_customers(con, moved.cutoff - pd.Timedelta(days=30), WIN_BACK)  # fitted, not stored
    assert earlier and earlier != audience
    pd.testing.assert_frame_equal(store.load(shop, fingerprint, DEFAULT_FORECAST).value.frame, moved.frame)

    orders = tmp_path / "more.csv"  # a new import: the stored forecast is for older data now
    orders.write_text("order_id,customer_id,ordered_at,product_id,quantity,unit_price\n"
                      f"NEW-1,NEW-C1,{moved.cutoff - pd.Timedelta(hours=2):%Y-%m-%d %H:%M:%S},BAK-019,1,9.5\n")
    import_files(con, orders=orders)
    now = current_fingerprint(con)
    assert now != fingerprint
    fresh = audience_customers(con, None, WIN_BACK)
    stored_now = store.load(shop, now, DEFAULT_FORECAST)
    assert stored_now is not None and stored_now.fingerprint == now
    assert fresh == _ids(win_back(stored_now.value)) != audience
    assert promoted not in fresh  # the moved band was only in the stale file
    con.close()
