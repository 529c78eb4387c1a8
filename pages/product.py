"""Product: similar products, what its buyers also bought, who is likely to buy it next, its repurchase cycle.

Deep link: `?product=ID` preselects the product.
"""

from __future__ import annotations

import streamlit as st

from pages.parts import common, frame, metric_help
from pages.parts import model_runs as rw
from recs import preview
from recs.errors import RepeatError
from recs.metrics.charts import days_histogram

frame.enter()
st.title("Product")
st.caption("Products like this one, what its buyers also bought, the customers most likely to buy it next "
           "(a targeting list) and how long customers take to buy it again.")
cur = common.products_needed(common.require_orders())
key = common.data_key(cur)
shop = metric_help.shop_settings()


@st.cache_data(show_spinner=False, max_entries=256)
def _facts(_cur, key, product: str) -> tuple[dict, dict]:
    return preview.product_info(_cur, product), preview.repurchase_cycle(_cur, product)


@st.cache_data(show_spinner=False, max_entries=64)
def _search(_cur, key, text: str):
    return preview.search_products(_cur, text, 200)


@st.cache_resource(show_spinner="Scoring every customer once for targeting…", max_entries=2)
def _scores(_model, model_key):
    return preview.score_matrix(_model)


@st.cache_data(show_spinner=False, max_entries=64)
def _likely(_cur, _model, model_key, product: str, n: int, exclude: bool):
    return preview.likely_buyers(_cur, _model, product, n, exclude_purchased=exclude,
                                 scores=_scores(_model, model_key))


@st.cache_data(show_spinner=False, max_entries=256)
def _also(_cur, key, product: str, k: int):
    return preview.also_bought(_cur, product, k)


wanted = st.query_params.get("product")
text = st.text_input("Find a product (id or part of the name)", value=wanted or "", key="product-search")
matches = _search(cur, key, text)
if matches.empty:
    st.info(f"No product id starts with or name contains {common.literal(text)}.")
    st.stop()
labels = {str(p): f"{p} — {n}" if isinstance(n, str) and n else str(p)
          for p, n in zip(matches["product_id"], matches["name"], strict=True)}
ids = list(labels)
product = st.selectbox("Product", ids, index=ids.index(wanted) if wanted in ids else 0, key="product-pick",
                       format_func=labels.get)
if st.query_params.get("product") != product:
    st.query_params["product"] = product

try:
    info, cycle = _facts(cur, key, product)
except RepeatError as exc:
    common.show_error(exc)
    st.stop()
cols = st.columns(5)
cols[0].metric("Category", common.plain(info["category"]) if info["category"] else "—")
cols[1].metric("Price", "—" if info["unit_price"] is None else shop.money(info["unit_price"]))
cols[2].metric("Buyers", f"{info['buyers'] or 0:,}")
cols[3].metric("Orders", f"{info['orders'] or 0:,}")
cols[4].metric("In stock", "yes" if info["in_stock"] in (True, None) else "no")

from recs.models import REGISTRY, model_names  # noqa: E402 - only needed once the page has data

default = rw.preview_default(cur, fallback="item_knn" if "item_knn" in model_names() else None)
c1, c2 = st.columns([3, 1])
with c1:
    name = rw.model_select("Model", key="product-model", default=default)
label = getattr(REGISTRY.get(name), "label", None) or name  # people read the label; the CLI takes the name
k = c2.number_input("How many", value=10, min_value=1, max_value=50, step=1, key="product-k")
found = rw.model_for_preview(cur, name, "product")

# One above the other: side by side, six columns in half the width cut the share and lift off.
left, right = st.container(), st.container()
with left:
    st.subheader("Similar products")
    if found is not None:
        try:
            similar = found.model.similar_items(product, k=int(k))
        except RepeatError as exc:
            st.info(f"{common.plain(exc)} — the models only know real products bought before their cutoff.")
        else:
            metric_help.show(similar, shop.currency, {"score": ("Similarity", "number", "%.3f")}, width="stretch")
            common.download_csv(similar, f"similar-{product}-{name}.csv", key="dl-product-similar")
    else:
        st.caption(f"Shown once the **{label}** model is trained ({name}: the button above).")
with right:
    st.subheader("Customers who bought this also bought")
    also = _also(cur, key, product, int(k))
    metric_help.show(also, shop.currency, {"customers": ("Buyers of both", "number", "localized")},
                     width="stretch")
    st.caption("Share of its buyers: of this product's buyers, how many bought the other; lift above 1: more than "
               "shoppers in general.")
    common.download_csv(also, f"also-bought-{product}.csv", key="dl-product-also")

st.subheader("Customers most likely to buy it next")
c1, c2 = st.columns([1, 2])
n_buyers = c1.number_input("How many customers", value=50, min_value=1, max_value=5000, step=10, key="product-n")
exclude = c2.checkbox("Leave out customers who already bought it", value=False, key="product-exclude",
                      help="Keep them in for products people re-buy (their own history is the strongest signal)")
if found is not None:
    try:
        buyers = _likely(cur, found.model, (str(common.db_path()), *found.identity()), product, int(n_buyers),
                         exclude)
    except RepeatError as exc:
        st.info(common.plain(exc))
    else:
        metric_help.show(buyers, shop.currency, {"orders": ("Orders in all", "number", "localized")},
                         width="stretch", height=300)
        common.download_csv(buyers, f"likely-buyers-{product}-{name}.csv", label="Download targeting list",
                            key="dl-product-buyers")
else:
    st.caption(f"The targeting list ranks customers by the **{label}** model's scores: train it first (the "
               "button above).")

st.subheader("Repurchase cycle")
shape = cycle["shape"]
if cycle["median_days"] is None:
    st.info("Nobody has bought this product on two different days yet, so it has no repurchase cycle.")
else:
    cols = st.columns(3)
    cols[0].metric("Median days between purchases", f"{cycle['median_days']:.0f}")
    cols[1].metric("Middle half", f"{cycle['p25_days']:.0f}–{cycle['p75_days']:.0f} days")
    cols[2].metric("Customers who re-bought", f"{cycle['repeat_customers']:,}")
    (st.info if shape.humps == 2 else st.caption)(shape.advice)
    two = shape.humps == 2  # then each group's median is marked, not the overall one between them
    marks = [(shape.early_median, f"early: {shape.early_median:.0f} d"),
             (shape.late_median, f"later: {shape.late_median:.0f} d")] if two else None
    fig = days_histogram(cycle["gaps"]["gap_days"], None if two else cycle["median_days"],
                         "Days since the previous purchase",
                         unit="repeat purchases", median_text="median", target_bins=40,
                         marks=marks)  # bins, not every gap
    st.plotly_chart(fig, width="stretch")
    common.download_csv(cycle["gaps"], f"repurchase-gaps-{product}.csv", key="dl-product-gaps")

st.subheader("Due to re-buy")
from pages.parts import predictions  # noqa: E402  (the wait for the stored predictions)
from recs.predict import shelf  # noqa: E402  (every customer's due products, stored once per data version, shared)

found_due = shelf.lookup(cur, common.db_path(), key, shelf.REBUY)  # starts the worker when missing or old
due = None
if found_due is not None:
    if found_due.error:
        st.caption(f"Not available for this shop: {common.plain(found_due.error)}")
    else:
        due = found_due.value
        if not found_due.current:
            st.caption(f"From data before the last import ({found_due.data}); updating in the background.")
if found_due is None or not found_due.current:
    predictions.pending(cur, key, shelf.REBUY, found_due, "Every customer's re-buy cycles are", "here")
if due is not None:
    due = due[due["product_id"] == product].sort_values(["score", "customer_id"], ascending=[False, True])
    if due.empty:
        st.caption("Nobody is due to buy this product again in the next 30 days.")
    else:
        st.caption(f"{len(due):,} customers who bought it repeatedly are due to buy it again in the next 30 days "
                   "(or are overdue by at most half their cycle), most due first. Their own cycle where they have "
                   "one, else the product's; docs/predict.md.")
        if len(due) > 1_000:  # tens of thousands of rows at 10 M lines (830 kB to the browser); the CSV has all
            st.caption(f"Showing the 1,000 most due of {len(due):,}; the download below has all of them.")
        st.dataframe(due.head(1_000).drop(columns="product_id"), hide_index=True, width="stretch", column_config={
            "customer_id": "Customer", "times": "Times bought", "last_bought": "Last bought",
            "cycle_days": st.column_config.NumberColumn("Cycle (days)", format="%.0f"),
            "cycle_from": "Cycle of", "due_at": "Due on", "score": st.column_config.NumberColumn("Score",
                                                                                                   format="%.2f")})
        common.download_csv(due, f"due-to-rebuy-{product}.csv", key="dl-product-due")
