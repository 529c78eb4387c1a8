"""Overview: the shop at a glance — orders, customers, repeat customers, repurchase rate, revenue, AOV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.parts import common, frame, metric_help
from recs import metrics
from recs.metrics import charts

frame.enter()

st.title("Overview")
st.caption(f"The whole shop at a glance: {metric_help.definition('summary')}. Definitions: docs/metrics.md.")

cur = common.metrics_cursor()  # DuckDB, or Spark with REPEAT_ENGINE=spark
key = common.data_key(cur)
shop = metric_help.shop_settings()


@st.cache_data(show_spinner=False)
def _summary(_cur, key) -> pd.DataFrame:
    return metrics.summary(_cur)


@st.cache_data(show_spinner=False)
def _monthly(_cur, key) -> pd.DataFrame:
    return metrics.monthly(_cur)


@st.cache_resource(show_spinner=False, max_entries=4)
def _monthly_figure(_cur, key, currency: str | None):
    """Built once per data version and currency and shared by every session (st.plotly_chart only reads it)."""
    return charts.orders_revenue_chart(_monthly(_cur, key), currency)


common.build_with_progress([("the headline figures", lambda: _summary(cur, key)),
                            ("orders per month", lambda: _monthly(cur, key))])
summary, monthly = _summary(cur, key), _monthly(cur, key)
s = summary.iloc[0]
first, last = pd.Timestamp(s["first_order_at"]), pd.Timestamp(s["last_order_at"])
st.markdown(f"**Data from {first:%Y-%m-%d} to {last:%Y-%m-%d}** "
            f"({(last - first).days + 1:,} days, {len(monthly):,} months with orders).")

def _help(column: str) -> str:
    return metric_help.help_text("summary", column)


c = st.columns(6)
c[0].metric("Orders", f"{int(s['orders']):,}", help=_help("orders"))
c[1].metric("Customers", f"{int(s['customers']):,}", help=_help("customers"))
c[2].metric("Repeat customers", f"{int(s['repeat_customers']):,}", help=_help("repeat_customers"))
rate = s["repurchase_rate"]
c[3].metric("Repurchase rate", "–" if pd.isna(rate) else f"{rate:.1%}", help=_help("repurchase_rate"))
c[4].metric("Revenue", shop.money(s["revenue"], compact=True),
            help=f"{_help('revenue')}: {shop.money(s['revenue'])}. {_help('net_revenue')}: "
                 f"{shop.money(s['net_revenue'])}")
c[5].metric("Average order value", shop.money(s["aov"]), help=_help("aov"))

if not pd.isna(rate):
    st.markdown(f"**{rate:.0%} of customers ordered more than once.** Net revenue after cancellations and "
                f"returns: {shop.money(s['net_revenue'], decimals=0)}; revenue per customer: "
                f"{shop.money(s['revenue_per_customer'])}.")
if not shop.currency:
    st.caption("Amounts are plain numbers: this shop has no currency set (**Settings** page).")

st.subheader("Orders and revenue per month", help=metric_help.definition("monthly"))
st.plotly_chart(_monthly_figure(cur, key, shop.currency), width="stretch", key="overview_monthly")
tables = st.expander("Figures as a table", on_change="rerun", key="overview_tables")
if tables.open:  # sent to the browser only once opened
    with tables:
        metric_help.table("summary", summary, shop.currency)
        metric_help.download("summary", summary, "summary.csv", key="dl-overview-summary")
        metric_help.table("monthly", monthly, shop.currency, grain="month")
        metric_help.download("monthly", monthly, "orders_per_month.csv", key="dl-overview-monthly")
st.caption("Are customers coming back, and who is slipping away? Open **Retention** and **Customers** in the sidebar.")
