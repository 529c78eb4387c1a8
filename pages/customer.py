"""Customer: one customer's history and what the models would suggest to them, with the reasons.

Deep link: `?customer=ID` preselects the customer.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from pages.parts import common, frame, metric_help, model_runs, rules_form
from recs import preview
from recs.errors import RepeatError

frame.enter()
st.title("Customer")
st.caption("One customer's orders and purchases, their RFM segment, and the chosen model's suggestions with "
           "the reason for each. Compare two models side by side.")
cur = common.products_needed(common.require_orders())
key = common.data_key(cur)


@st.cache_data(show_spinner="Working out every customer's RFM segment…")
def _segments(_cur, key) -> pd.Series:
    from recs.metrics import rfm_segments

    frame = rfm_segments(_cur)  # a categorical Series pickles into the cache far faster than a dict of 400k ids
    return pd.Series(frame["segment"].astype("category").to_numpy(), index=frame["customer_id"].astype(str))


@st.cache_data(show_spinner=False, max_entries=256)
def _history(_cur, key, customer: str) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    return (preview.customer_summary(_cur, customer), preview.customer_timeline(_cur, customer),
            preview.customer_products(_cur, customer))


@st.cache_data(show_spinner=False, max_entries=64)
def _search(_cur, key, prefix: str) -> pd.DataFrame:
    return preview.search_customers(_cur, prefix, 200)


wanted = st.query_params.get("customer")
prefix = st.text_input("Find a customer (id starts with)", value=wanted or "", key="customer-search")
matches = _search(cur, key, prefix)
if matches.empty:
    st.info(f"No customer id starts with {common.literal(prefix)}. Clear the search to see all customers.")
    st.stop()
ids = [str(c) for c in matches["customer_id"]]
customer = st.selectbox("Customer", ids, index=ids.index(wanted) if wanted in ids else 0, key="customer-pick",
                        help=f"{len(ids)} matches shown (up to 200); type more of the id to narrow them down")
if st.query_params.get("customer") != customer:
    st.query_params["customer"] = customer

try:
    facts, timeline, bought = _history(cur, key, customer)
except RepeatError as exc:
    common.show_error(exc)
    st.stop()
segment = _segments(cur, key).get(customer, "—")
cols = st.columns(5)
cols[0].metric("Segment", segment)
cols[1].metric("Orders", f"{facts['orders']:,}")
shop = metric_help.shop_settings()  # money in the shop's currency (Settings page)
cols[2].metric("Revenue", shop.money(facts["revenue"]))
cols[3].metric("First order", f"{pd.Timestamp(facts['first_order']):%Y-%m-%d}")
cols[4].metric("Last order", f"{pd.Timestamp(facts['last_order']):%Y-%m-%d}")
from pages.parts import predictions  # noqa: E402  (the wait for the stored predictions)
from recs.predict import report, shelf  # noqa: E402  (the stored shop-wide forecast, read once per data version, shared)


def _show_prediction(found: shelf.Shown) -> None:
    """The customer's p_alive, expected orders, CLV, next order and churn risk from the stored forecast."""
    if found.error:
        st.caption(f"No prediction for this shop: {common.plain(found.error)}")
        return
    predicted = found.value.frame
    mine = predicted[predicted["customer_id"] == customer]
    if not found.current:
        st.caption(f"Prediction from data before the last import ({found.data}); updating in the background.")
    if mine.empty:
        return
    mine = mine.iloc[0]
    cols = st.columns(5)
    cols[0].metric("Still a customer", f"{mine['p_alive']:.0%}", help="p_alive: the chance they have not "
                   "left for good (Predict page; docs/predict.md)")
    cols[1].metric("Expected orders, 90 days", f"{mine['expected_orders']:.2f}")
    cols[2].metric("12-month value", shop.money(mine["clv_12m"]), help="Expected revenue over 12 months, "
                   "discounted 10 % a year")
    next_at = report.next_order_text(pd.Series([mine["expected_next_order_at"]]), found.value.cutoff).iloc[0]
    cols[3].metric("Next order by", next_at, help="When they have an even chance of having ordered again "
                   "(“not expected”: not within 3 years)")
    cols[4].metric("Churn risk", str(mine["churn_risk"]))


found = shelf.lookup(cur, common.db_path(), key, shelf.DEFAULT_FORECAST)  # starts the worker when missing or old
if found is not None:
    _show_prediction(found)
if found is None or not found.current:
    predictions.pending(cur, key, shelf.DEFAULT_FORECAST, found, "Every customer's forecast is", "here")

left, right = st.columns(2)
with left:
    st.subheader("Orders over time")
    fig = px.scatter(timeline, x="ordered_at", y="revenue", size="items", hover_data=["order_id", "lines"],
                     labels={"ordered_at": "Order time", "revenue": shop.label("Order value")})
    fig.update_traces(mode="lines+markers", line={"width": 1})
    first, last = pd.Timestamp(timeline["ordered_at"].min()), pd.Timestamp(timeline["ordered_at"].max())
    if last - first < pd.Timedelta(days=30):  # one order (or a few days' worth): show a month around them
        middle = first + (last - first) / 2
        fig.update_xaxes(range=[middle - pd.Timedelta(days=20), middle + pd.Timedelta(days=20)])
    st.plotly_chart(fig, width="stretch")
    common.download_csv(timeline, f"orders-{customer}.csv", key="dl-customer-orders")
with right:
    st.subheader("Purchased products")
    metric_help.show(bought, shop.currency, width="stretch", height=320)
    common.download_csv(bought, f"products-{customer}.csv", key="dl-customer-products")

st.subheader("Recommendations")
c1, c2, c3 = st.columns([2, 2, 1])
with c1:
    first = model_runs.model_select("Model", key="customer-model", default=model_runs.preview_default(cur))
with c2:
    second = model_runs.model_select("Compare with", key="customer-compare", allow_none=True)
k = c3.number_input("How many", value=10, min_value=1, max_value=50, step=1, key="customer-k")
st.caption("Each model's list follows the session's rules with that model's campaign intent (re-buy or "
           "discovery); change them on the Recommendations page.")

shown = [first] + ([second] if second and second != first else [])
panels = st.columns(len(shown))
for panel, name in zip(panels, shown, strict=True):
    with panel:
        found = model_runs.model_for_preview(cur, name, "customer")
        if found is None:
            continue
        rules, notes = rules_form.rules_for(found.model)
        try:
            recs_frame = found.model.recommend([customer], k=int(k), rules=rules)
        except RepeatError as exc:
            common.show_error(exc)
            continue
        st.markdown(f"**{name}** · trained on {found.train_until or 'all data'}")
        st.caption("Rules in force: " + common.literal("; ".join(rules.describe())))
        rules_form.show_notes(found.model, rules, notes)
        if recs_frame.empty:  # say why, e.g. Discovery on a one-product shop
            from recs.rules import why_empty

            st.info("No product for this customer: " + common.plain(why_empty(found.model.data_, rules)) + ".")
        metric_help.show(recs_frame[["rank", "product_id", "product_name", "score", "reason"]], shop.currency,
                         width="stretch")  # the reason column wide enough to read
        common.download_csv(recs_frame, f"recommendations-{customer}-{name}.csv", key=f"dl-customer-recs-{name}")
        if len(recs_frame):
            pick = st.selectbox("Why this product?", list(recs_frame["product_id"]), key=f"customer-why-{name}",
                                format_func=dict(zip(recs_frame["product_id"], recs_frame["product_name"],
                                                     strict=True)).get)
            st.info(common.plain(found.model.explain(customer, pick)))  # names products from the shop's files: text
