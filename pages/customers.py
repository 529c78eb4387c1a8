"""Customers: RFM segments — who is loyal, who is new, who is slipping away, and what each group is worth."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from pages.parts import common, frame, metric_help
from recs import metrics
from recs.errors import RepeatError
from recs.metrics import charts

frame.enter()

st.title("Customers")
st.caption(f"RFM {metric_help.definition('rfm')}. Segment rules: docs/metrics.md.")

cur = common.metrics_cursor()  # DuckDB, or Spark with REPEAT_ENGINE=spark
key = common.data_key(cur)
shop = metric_help.shop_settings()
ALL_COUNTRIES, ALL_CATEGORIES = "All countries", "All categories"
SHOWN = 1_000  # rows of a segment drawn on screen
ADVICE = {
    "Champions": "recent, frequent: reward them, ask for reviews, early access.",
    "Loyal": "order often: cross-sell, loyalty perks.",
    "Potential loyalists": "recent with a few orders: nudge toward the next one.",
    "New": "one recent order: a good second-order welcome flow.",
    "At risk": "used to order often, not lately: win-back with recommendations.",
    "Can't lose them": "were your most frequent buyers, long gone: personal win-back.",
    "Hibernating": "few orders, a while ago: low-cost reminders.",
    "Lost": "one or two orders long ago: include only in broad campaigns.",
}


@st.cache_data(show_spinner=False)
def _options(_cur, key):
    return metrics.date_range(_cur), metrics.countries(_cur), metrics.categories(_cur)


# Shared by every session and never copied (st.cache_data would unpickle 425 k rows on every rerun at 10 M
# lines); the page only reads it.
@st.cache_resource(show_spinner="Scoring every customer's recency, frequency and monetary value…", max_entries=4)
def _rfm(_cur, key, f: tuple, as_of: dt.date | None) -> pd.DataFrame:
    return metrics.rfm(_cur, metrics.Filters(*f), as_of)


(first_day, last_day), countries, categories = _options(cur, key)
c1, c2, c3 = st.columns([2, 1.2, 1.2])
picked = c1.date_input("Orders from – to (both days included)", value=(first_day, last_day), min_value=first_day,
                       max_value=last_day, key="cust_dates")
country = c2.selectbox("Country", [ALL_COUNTRIES, *countries], key="cust_country")
category = c3.selectbox("Category", [ALL_CATEGORIES, *categories], key="cust_category", disabled=not categories)
dates = tuple(picked) if isinstance(picked, list | tuple) else (picked,)
start = dates[0] if dates else first_day
end_day = dates[1] if len(dates) > 1 else last_day
f = (start, end_day + dt.timedelta(days=1), None if country == ALL_COUNTRIES else country,
     None if category == ALL_CATEGORIES else category)
custom_as_of = st.checkbox("Measure recency to another date than the data's last day", key="cust_asof_on")
as_of = st.date_input("Recency as of", value=end_day, min_value=end_day, key="cust_asof") if custom_as_of else None

try:
    frame = _rfm(cur, key, f, as_of)
except RepeatError as exc:
    common.show_error(exc)
    st.stop()
if frame.empty:
    st.info("No customer orders match these filters. Widen the date range or pick another country or category.")
    st.stop()

summary = metrics.segment_summary(frame)
by = summary.set_index("segment")
champions = by.loc["Champions"]
slipping = by.loc[["At risk", "Can't lose them"]]
st.markdown(f"**{len(frame):,} customers.** Champions are {champions['customer_share']:.0%} of customers and bring "
            f"**{champions['revenue_share']:.0%} of revenue**. {int(slipping['customers'].sum()):,} customers who "
            f"used to order often have gone quiet (At risk, Can't lose them): "
            f"**{slipping['revenue_share'].sum():.0%} of revenue** to win back.")

left, right = st.columns(2)
left.plotly_chart(charts.segment_treemap(summary, shop.currency), width="stretch", key="segment_treemap")
right.plotly_chart(charts.segment_bars(summary), width="stretch", key="segment_bars")
metric_help.table("segment_summary", summary, shop.currency)
metric_help.download("segment_summary", summary, "rfm_segments_summary.csv", key="dl-cust-summary")

st.subheader("Customers of a segment")
counts = frame["segment"].value_counts()
present = [s for s in metrics.segment_names() if s in counts.index]
segment = st.selectbox("Segment", present, key="cust_segment", format_func=lambda s: f"{s} ({int(counts[s]):,})")
st.caption(f"{segment}: {ADVICE.get(segment, '')}")
members = frame[frame["segment"] == segment].sort_values("monetary", ascending=False)
if len(members) > SHOWN:  # a whole segment of a big shop is too much for the browser; the CSV keeps everyone
    st.caption(f"Showing the first {SHOWN:,} of {len(members):,} customers by monetary value; the download below "
               "has all of them.")
metric_help.table("rfm", members.head(SHOWN), shop.currency)
metric_help.download("rfm", members, f"rfm_{segment.lower().replace(' ', '_')}.csv", key="dl-cust-members")
whole_shop = (start, end_day, country, category, as_of) == (first_day, last_day, ALL_COUNTRIES, ALL_CATEGORIES, None)
if st.button(f"Recommend products to {segment}", icon=":material/campaign:", key="cust-campaign",
             help="Opens the Recommendations page with this segment chosen in its Export tab: pick or train a "
                  "model there and build the campaign list."):
    st.switch_page("pages/recommendations.py", query_params={"segment": segment})  # that page's deep link
if not whole_shop:
    st.caption("A campaign list takes segments over all the data (as `python -m recs recommend --segment` does), "
               "not this page's date, country or category filter, so its members can differ from the table above.")
with st.expander("All customers with their scores"):
    metric_help.download("rfm", frame, "rfm.csv", label="Download every customer's RFM (CSV)", key="dl-cust-all")
