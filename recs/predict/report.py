"""What the Predict page and the campaign audiences read off a forecast: value x risk, who is worth winning back,
and the backtest in plain words. Plain pandas; no Streamlit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recs.predict.backtest import Backtest
from recs.predict.forecast import MAX_WAIT_DAYS, Forecast

RISK_BANDS = ["low", "medium", "high"]
VALUE_BANDS = ["low", "medium", "high"]  # clv_12m terciles among customers with a CLV above zero
WIN_BACK = "win-back: high value at risk"
DUE_TO_REBUY = "due to re-buy"
AUDIENCES = (WIN_BACK, DUE_TO_REBUY)
MODEL_LABELS = {"best": "Best (chosen on the window before)", "bgnbd": "BG/NBD + Gamma-Gamma",
                "stacked": "Stacked (BG/NBD's total, shared out by trees)",
                "learned": "Learned (gradient-boosted trees)", "blend": "Blend (average of BG/NBD and learned)",
                "blend_25": "Blend (3/4 BG/NBD, 1/4 learned)", "blend_75": "Blend (1/4 BG/NBD, 3/4 learned)",
                "rfm_gbr": "Trees on RFM only", "past_rate": "Naive: past rate x days", "mean": "Naive: the mean"}


NOT_EXPECTED = "not expected"


def next_order_text(next_at: pd.Series, cutoff: pd.Timestamp) -> pd.Series:
    """`expected_next_order_at` for people: a date at the cap (3 years after the cutoff: the forecast does not
    expect another order) reads "not expected"; the CSV keeps the date."""
    cap = f"{cutoff.normalize() + pd.Timedelta(days=MAX_WAIT_DAYS):%Y-%m-%d}"
    return next_at.astype(str).where(next_at.astype(str) < cap, NOT_EXPECTED)


def value_band(clv: pd.Series) -> pd.Series:
    """low / medium / high by the terciles of clv_12m (ties share a band)."""
    ranks = clv.rank(pct=True, method="average")
    return pd.Series(np.where(ranks > 2 / 3, "high", np.where(ranks > 1 / 3, "medium", "low")), index=clv.index)


def value_risk_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """Customers and 12-month CLV at stake per (value band, churn band): the page's matrix, long form."""
    table = frame.assign(value_band=value_band(frame["clv_12m"]))
    grouped = table.groupby(["value_band", "churn_risk"]).agg(customers=("customer_id", "size"),
                                                               clv_12m=("clv_12m", "sum"))
    full = pd.MultiIndex.from_product([VALUE_BANDS, RISK_BANDS], names=["value_band", "churn_risk"])
    return grouped.reindex(full, fill_value=0).reset_index()


def win_back(forecast: Forecast) -> pd.DataFrame:
    """High-value customers at risk: churn risk medium or high and revenue to date in the shop's top third,
    most valuable first (customer_id, revenue_to_date and the forecast's columns)."""
    frame = forecast.frame.assign(revenue_to_date=forecast.revenue_to_date.to_numpy())
    top = frame["revenue_to_date"] >= frame["revenue_to_date"].quantile(2 / 3)
    chosen = frame[top & frame["churn_risk"].isin(["medium", "high"])]
    return chosen.sort_values(["revenue_to_date", "customer_id"], ascending=[False, True]).reset_index(drop=True)


def at_risk(forecast: Forecast) -> pd.DataFrame:
    """Every customer at medium or high churn risk, by revenue to date (the page's top list and its CSV)."""
    frame = forecast.frame.assign(revenue_to_date=forecast.revenue_to_date.to_numpy())
    chosen = frame[frame["churn_risk"].isin(["medium", "high"])]
    return chosen.sort_values(["revenue_to_date", "customer_id"], ascending=[False, True]).reset_index(drop=True)


def backtest_sentence(result: Backtest, model: str) -> str:
    """'On the last 90 days this model was off by 0.55 orders per customer; 5 % better than BG/NBD.'"""
    table = result.table.set_index("model")
    if model not in table.index:
        return f"The {MODEL_LABELS.get(model, model)} model could not be backtested on this shop."
    mae = table.loc[model, "mae"]
    text = (f"On the last {result.horizon_days} days before the data ends, this model was off by {mae:.2f} orders "
            f"per customer on average")
    if model != "bgnbd" and "bgnbd" in table.index and table.loc["bgnbd", "mae"] > 0:
        gain = 1 - mae / table.loc["bgnbd", "mae"]
        text += f"; {abs(gain):.0%} {'better' if gain >= 0 else 'worse'} than BG/NBD"
    ratio = table.loc[model, "total_ratio"]
    if np.isfinite(ratio):
        text += f", and its total was {abs(ratio - 1):.0%} {'over' if ratio >= 1 else 'under'} what happened"
    return text + "."


def season_note(forecast: Forecast) -> str | None:
    """Plain words when the history does not cover the same season a year before the horizon."""
    if forecast.history_days >= 365 + forecast.horizon_days:
        return None
    return (f"Your history covers {forecast.history_days} days, less than a year plus the {forecast.horizon_days}-day "
            "horizon: the same season a year ago is not in the data, so seasonal swings are not in the forecast "
            "and its total may be off by more than the backtest says. Once a year of orders plus the horizon is "
            "in, the forecast's total follows how the same days went a year earlier.")
