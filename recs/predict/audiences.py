"""The two campaign audiences from predictions, beside the RFM segments (Recommendations → Export, and
`python -m recs recommend --audience`): "win-back: high value at risk" and "due to re-buy" (the due product first)."""

from __future__ import annotations

import pandas as pd

from recs import sql
from recs.errors import InputError
from recs.predict.data import ShopData, default_cutoff
from recs.predict.forecast import Forecast, forecast
from recs.predict.rebuy import due_to_rebuy
from recs.predict.refresh import DEFAULT_FORECAST, refresh_predictions
from recs.predict.report import AUDIENCES, DUE_TO_REBUY, WIN_BACK, win_back
from recs.predict.store import database_file

AUDIENCE_HORIZON_DAYS = DEFAULT_FORECAST.days  # the forecast behind "win-back": the Predict page's default one
DUE_WITHIN_DAYS = 30  # "due to re-buy": due in the next 30 days (or overdue by at most half a cycle)


def win_back_forecast(con, cutoff: pd.Timestamp | None) -> Forecast:
    """The `best` 90-day forecast behind "win-back" as of `cutoff` (None: all data). At the end of the data it is
    the stored one the Predict page shows (`recs/predict/store.py`, kept only while the data is unchanged), so
    the audience is that page's list and nothing is fitted; when none is stored for the data now it is computed
    and stored as the background worker would store it. At an earlier cutoff (a model trained on older data) it
    is fitted here, not stored. InputError when the shop cannot be predicted (too little history)."""
    shop = ShopData(con)
    path = database_file(con)
    if path is not None and (cutoff is None or pd.Timestamp(cutoff) == default_cutoff(shop)):
        outcome = refresh_predictions(con, path, (DEFAULT_FORECAST,), shop=shop, prune=False)[0]
        if outcome.error is not None:
            raise InputError(outcome.error)
        return outcome.value
    return forecast(con, cutoff, AUDIENCE_HORIZON_DAYS, DEFAULT_FORECAST.model, shop=shop)


def audience_customers(con, cutoff: pd.Timestamp | None, audience: str) -> list[str]:
    """The audience's customers as of `cutoff` (None: all data), most valuable / most due first."""
    if audience == WIN_BACK:
        return win_back(win_back_forecast(con, cutoff))["customer_id"].astype(str).tolist()
    if audience == DUE_TO_REBUY:
        return due_to_rebuy(con, cutoff, DUE_WITHIN_DAYS)["customer_id"].drop_duplicates().astype(str).tolist()
    raise InputError(f"unknown audience {audience!r}; known audiences: {', '.join(AUDIENCES)}")


def put_due_first(con, frame: pd.DataFrame, customers: list[str], cutoff: pd.Timestamp | None, k: int
                  ) -> pd.DataFrame:
    """Each customer's most due product at rank 1 with its re-buy reason, then their recommendations without it,
    up to k rows per customer (the campaign's columns unchanged)."""
    due = due_to_rebuy(con, cutoff, DUE_WITHIN_DAYS).drop_duplicates("customer_id")
    names = sql.run(con, "predict/product_names").df().set_index("product_id")["product_name"]
    first = pd.DataFrame({
        "customer_id": due["customer_id"].astype(str), "rank": 0, "product_id": due["product_id"].astype(str),
        "score": due["score"].astype(float), "product_name": due["product_id"].map(names),
        "reason": [f"Due to re-buy: usually every {c:.0f} days, last bought {d}" for c, d in
                   zip(due["cycle_days"], due["last_bought"], strict=True)]})
    first = first[first["customer_id"].isin(set(customers))]
    rest = frame.merge(first[["customer_id", "product_id"]], on=["customer_id", "product_id"], how="left",
                       indicator=True)
    rest = rest[rest["_merge"] == "left_only"].drop(columns="_merge")
    order = {c: i for i, c in enumerate(customers)}
    both = pd.concat([first, rest[frame.columns]], ignore_index=True)
    both = both.assign(_o=both["customer_id"].map(order)).sort_values(["_o", "rank"], kind="stable")
    both["rank"] = both.groupby("customer_id").cumcount() + 1
    return both[both["rank"] <= k].drop(columns="_o")[list(frame.columns)].reset_index(drop=True)
