"""Predict: who comes back in the next 30 or 90 days, what they are worth, who is slipping away, and how right the
forecast was on the shop's own recent past (docs/predict.md)."""

from __future__ import annotations

import streamlit as st

from pages.parts import common, frame, metric_help
from recs import predict
from recs.predict import charts, report
from recs.predict.forecast import HIGH_RISK_BELOW, MEDIUM_RISK_BELOW
from recs.predict.shelf import Item, damaged, job_status, lookup

frame.enter()

st.title("Predict")
st.caption("Per customer: the chance they are still a customer, expected orders and revenue, 12-month value and "
           "next-order date, fitted on every order so far. Beside it, the same model judged on the last days of "
           "data it did not see. Models, thresholds and method: docs/predict.md.")

cur = common.require_orders()
key = common.data_key(cur)
path = common.db_path()
currency = metric_help.shop_settings().currency
SHOWN = 200  # at-risk customers drawn on screen (the CSV has them all)
POLL_SECONDS = 2  # how often a page waiting for the background worker looks again (a dictionary lookup)

c1, c2 = st.columns([1, 2])
horizon = c1.radio("Horizon", [30, 90], index=1, horizontal=True, format_func=lambda d: f"next {d} days",
                   key="pred_horizon")
model = c2.radio("Model", list(predict.CHOICES), horizontal=True, key="pred_model",
                 format_func=lambda m: report.MODEL_LABELS[m],
                 help="Best: whichever of BG/NBD, the learned trees or their average was most accurate on the "
                      "window just before the cutoff.")

# Stored beside the database, shared by every session and page; computed by one background worker per process
# (never in this page run) when missing or made on older data.
wanted = (Item("forecast", horizon, model), Item("backtest", horizon))
shown = lookup(cur, path, key, wanted[0])
shown_backtest = lookup(cur, path, key, wanted[1])


@st.fragment(run_every=POLL_SECONDS)
def _watch_worker() -> None:
    """Say what the background worker is doing; rerun the page when what it waits for is ready."""
    now = [lookup(cur, path, key, item, start_worker=False) for item in wanted]
    if any(new is not None and new.current and (old is None or not old.current)
           for new, old in zip(now, (shown, shown_backtest), strict=True)):
        st.rerun()
    status = job_status(cur, path, key)
    if status is None:
        return
    if status.state == "failed":
        st.error(f"The background forecast stopped: {common.plain(status.error)}")
        return
    if status.state not in ("waiting", "running"):
        st.rerun()  # finished without it (a newer import took over): the page run starts what is missing
    st.info(status.sentence())


status = job_status(cur, path, key)
if shown is None:
    if status is not None and status.state == "failed":
        st.error(f"The forecast could not be computed: {common.plain(status.error)}")
        st.stop()
    st.subheader(f"The next {horizon} days")
    problem = damaged(cur, path, key, wanted[0])
    if problem:
        st.caption(f"The stored forecast could not be read, so it is computed again: {common.plain(problem)}")
    _watch_worker()
    st.stop()
if shown.error:
    st.error(common.plain(shown.error))
    st.stop()
if not shown.current or shown_backtest is None or not shown_backtest.current:
    if not shown.current:
        st.warning(f"These figures are from data before the last import ({shown.data}); updating in the "
                   "background.")
    _watch_worker()
result = shown.value
judged = None
if shown_backtest is None:
    backtest_problem = "it is being computed in the background; this page updates itself when it is ready"
elif shown_backtest.error:
    backtest_problem = shown_backtest.error
else:
    judged = shown_backtest.value

forecast_frame = result.frame
for note in result.notes:
    st.info(f"Note: {note}.")
season = report.season_note(result)
if season:
    st.warning(season)

# --- Forecast with the backtest's error beside it -------------------------------------------------------------
st.subheader(f"The next {horizon} days")
used = report.MODEL_LABELS.get(result.used, result.used)
st.caption(f"From {result.cutoff:%Y-%m-%d}, returning customers only (everyone who has ordered before). "
           f"Model: {used}" + (" (chosen by Best)" if model == "best" else "") + ".")
orders = float(forecast_frame["expected_orders"].sum())
revenue = float(forecast_frame["expected_revenue"].sum())
buyers = float(forecast_frame["p_order_in_horizon"].sum())
money = f" {currency}" if currency else ""
row = judged.table.set_index("model") if judged is not None else None
error = None if row is None or model not in row.index else row.loc[model]
t1, t2, t3, t4 = st.columns(4)
t1.metric("Expected orders", f"{orders:,.0f}",
          help="Purchase days (orders counted once per customer and day) by customers who have ordered before.")
t2.metric(f"Expected revenue{money}", f"{revenue:,.0f}")
t3.metric("Customers expected to order", f"{buyers:,.0f}", help="Sum of each customer's chance to order.")
if error is not None:
    t4.metric("Backtest: total off by", f"{abs(error['total_ratio'] - 1):.0%}",
              help=f"On the last {horizon} days of data this model predicted {error['total_ratio']:.2f} x the orders "
                   f"that happened and was off by {error['mae']:.2f} orders per customer.")
    st.success(report.backtest_sentence(judged, model))
else:
    t4.metric("Backtest", "–")
    st.info(f"No backtest on the last {horizon} days: {common.plain(backtest_problem)}")

# --- p_alive and value x risk ----------------------------------------------------------------------------------
left, right = st.columns(2)
with left:
    st.subheader("Still a customer?")
    st.caption(f"Churn risk: high below p_alive {HIGH_RISK_BELOW}, medium below "
               f"{MEDIUM_RISK_BELOW}, low above.")
    st.plotly_chart(charts.p_alive_histogram(forecast_frame), key="pred_alive")
with right:
    st.subheader("Value x risk")
    st.caption("Customers by 12-month value (in thirds) and churn risk; colour = value at stake.")
    matrix = report.value_risk_matrix(forecast_frame)
    st.plotly_chart(charts.value_risk_heatmap(matrix, currency), key="pred_matrix")
    common.download_csv(matrix, "value_risk.csv", key="dl-pred-matrix")

# --- Top customers at risk ------------------------------------------------------------------------------------
st.subheader("Top customers at risk")
risky = report.at_risk(result)
st.caption(f"{len(risky):,} customers at medium or high churn risk, most valuable so far first (first {SHOWN:,} "
           "shown; the CSV has all). Win them back from Recommendations → Export, audience "
           f"“{report.WIN_BACK}”.")
shown_risky = risky.head(SHOWN)
shown_risky = shown_risky.assign(expected_next_order_at=report.next_order_text(
    shown_risky["expected_next_order_at"], result.cutoff))
st.dataframe(shown_risky, hide_index=True, column_config={
    "customer_id": "Customer", "orders": "Orders so far", "p_alive": st.column_config.NumberColumn(
        "Still a customer", format="percent"), "expected_orders": st.column_config.NumberColumn(
        "Expected orders", format="%.2f"), "expected_revenue": st.column_config.NumberColumn(
        "Expected revenue", format="%.0f"), "clv_12m": st.column_config.NumberColumn("12-month value", format="%.0f"),
    "p_order_in_horizon": st.column_config.NumberColumn("Chance to order", format="percent"),
    "expected_next_order_at": "Next order by", "churn_risk": "Churn risk",
    "revenue_to_date": st.column_config.NumberColumn("Revenue so far", format="%.0f")})
common.download_csv(risky, "customers_at_risk.csv", key="dl-pred-risk")
common.download_csv(lambda: forecast_frame, "forecast.csv", label="Download every customer's forecast (CSV)",
                    key="dl-pred-all")

# --- Calibration and backtest table ---------------------------------------------------------------------------
if judged is not None:
    st.subheader("How right was it?")
    st.caption(f"Fitted on orders before {judged.cutoff:%Y-%m-%d}, judged on the {horizon} days after: mean "
               "predicted vs actual orders by how many times the customer had bought again before. "
               f"Best chose {report.MODEL_LABELS.get(judged.best_choice, judged.best_choice)} there.")
    shown_model = model if model in set(judged.calibration["model"]) else "bgnbd"
    st.plotly_chart(charts.calibration_chart(judged.calibration, shown_model), key="pred_calibration")
    common.download_csv(judged.calibration, "calibration.csv", key="dl-pred-cal")
    table = judged.table.assign(model=judged.table["model"].map(lambda m: report.MODEL_LABELS.get(m, m)))
    st.dataframe(table, hide_index=True, column_config={
        "model": "Model", "customers": "Customers", "mae": st.column_config.NumberColumn(
            "Off by (orders per customer)", format="%.3f", help="Mean absolute error per customer"),
        "rmse": st.column_config.NumberColumn("RMSE", format="%.3f"),
        "total_ratio": st.column_config.NumberColumn("Predicted / actual orders", format="%.2f"),
        "revenue_ratio": st.column_config.NumberColumn("Predicted / actual revenue", format="%.2f"),
        "auc": st.column_config.NumberColumn("Who orders: AUC", format="%.3f",
                                             help="0.5 = a coin toss, 1 = perfect ranking"),
        "brier": st.column_config.NumberColumn("Brier score", format="%.3f", help="Lower is better"),
        "fit_seconds": st.column_config.NumberColumn("Fit (s)", format="%.2f")})
    common.download_csv(judged.table, "backtest.csv", key="dl-pred-backtest")
