"""Retention: are customers coming back, which cohorts stick, how fast does a first order become a second?"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from pages.parts import common, frame, metric_help
from recs import metrics
from recs.errors import RepeatError
from recs.metrics import charts

frame.enter()

st.title("Retention")
st.caption("Returning customers, cohort retention, repeat within N days and time to second order. Every chart and "
           "table follows the filters. Definitions and SQL: docs/metrics.md.")

cur = common.require_orders()
key = common.data_key(cur)
ALL_COUNTRIES, ALL_CATEGORIES = "All countries", "All categories"


@st.cache_data(show_spinner=False)
def _options(_cur, key):
    return metrics.date_range(_cur), metrics.countries(_cur), metrics.categories(_cur)


@st.cache_data(show_spinner=False)
def _summaries(_cur, key, f: tuple):
    filters = metrics.Filters(*f)
    return metrics.summary(_cur, filters), metrics.summary_previous(_cur, filters)


@st.cache_data(show_spinner=False)
def _repurchase(_cur, key, f: tuple, grain: str) -> pd.DataFrame:
    return metrics.repurchase(_cur, grain, metrics.Filters(*f))


@st.cache_data(show_spinner=False)
def _retention(_cur, key, f: tuple, grain: str) -> pd.DataFrame:
    return metrics.retention(_cur, grain, metrics.Filters(*f))


@st.cache_data(show_spinner=False)
def _repeat_within(_cur, key, f: tuple, grain: str, days: tuple) -> pd.DataFrame:
    return metrics.repeat_within(_cur, list(days), metrics.Filters(*f), grain)


@st.cache_data(show_spinner=False)
def _time_to_second(_cur, key, f: tuple, grain: str):
    filters = metrics.Filters(*f)
    return metrics.time_to_second_days(_cur, filters), metrics.time_to_second_median(_cur, filters, grain)


# Figures are built once per data version and choice and shared by every session (st.cache_resource: the same
# object, never copied; st.plotly_chart only reads it), so a rerun or a second visitor does not rebuild them.
@st.cache_resource(show_spinner=False, max_entries=32)
def _figure(kind: str, _cur, key, f: tuple, grain: str, *args):
    if kind == "returning":
        return charts.returning_chart(_repurchase(_cur, key, f, grain))
    if kind == "heatmap":
        return charts.retention_heatmap(_retention(_cur, key, f, grain), grain, *args)
    if kind == "curves":
        value, chosen = args
        return charts.retention_curves(_retention(_cur, key, f, grain), list(chosen), grain, value)
    if kind == "within":
        horizons, labels = args
        return charts.repeat_within_chart(_repeat_within(_cur, key, f, grain, horizons), list(labels), grain)
    days_hist, med = _time_to_second(_cur, key, f, grain)
    overall = med[med["cohort"].isna()]
    return charts.time_to_second_histogram(days_hist, overall["median_days"].iloc[0] if len(overall) else None)


def _table(label: str, frame: pd.DataFrame, key: str, metric: str) -> None:
    """A table in an expander that is sent to the browser only once opened (the download beside it always has it);
    column labels, formats and help from the metric's metadata."""
    box = st.expander(label, on_change="rerun", key=key)
    if box.open:
        box.dataframe(frame, hide_index=True, column_config=metric_help.column_config(metric, frame.columns))


(first_day, last_day), countries, categories = _options(cur, key)

# --- Filters ---------------------------------------------------------------------------------------------------
c1, c2, c3, c4 = st.columns([2, 1.2, 1.2, 1])
picked = c1.date_input("Orders from – to (both days included)", value=(first_day, last_day), min_value=first_day,
                       max_value=last_day, key="ret_dates")
country = c2.selectbox("Country", [ALL_COUNTRIES, *countries], key="ret_country")
category = c3.selectbox("Category", [ALL_CATEGORIES, *categories], key="ret_category", disabled=not categories,
                        help=None if categories else "This shop's products have no categories.")
grain = c4.radio("Grain", metrics.GRAINS, horizontal=True, key="ret_grain",
                 format_func=lambda g: "Month" if g == "month" else "ISO week")
dates = tuple(picked) if isinstance(picked, list | tuple) else (picked,)
start = dates[0] if dates else first_day
end_day = dates[1] if len(dates) > 1 else last_day
f = (start, end_day + dt.timedelta(days=1), None if country == ALL_COUNTRIES else country,
     None if category == ALL_CATEGORIES else category)
unit = "month" if grain == "month" else "week"

# Each section computes when it is drawn (no warm-up of them all first): on a first visit the browser draws the
# tiles and the first charts while the server computes the next section.
try:
    current, previous = _summaries(cur, key, f)
except RepeatError as exc:
    common.show_error(exc)
    st.stop()

# --- KPI tiles with the change against the previous window of equal length ---------------------------------------
s = current.iloc[0]
p = previous.iloc[0] if previous is not None and int(previous.iloc[0]["orders"]) > 0 else None
days = (f[1] - f[0]).days
if p is not None:
    st.caption(f"Change against the {days} days before: {f[0] - dt.timedelta(days=days):%Y-%m-%d} to "
               f"{f[0] - dt.timedelta(days=1):%Y-%m-%d}.")
else:
    st.caption(f"No orders in the {days} days before {f[0]:%Y-%m-%d}, so no change is shown.")


def _delta(col: str, fmt: str, points: bool = False):
    if p is None or pd.isna(s[col]) or pd.isna(p[col]):
        return None
    diff = float(s[col]) - float(p[col])
    return f"{diff * 100:+.1f} pts" if points else format(diff, fmt)


def _help(column: str) -> str:
    return metric_help.help_text("summary", column)


k = st.columns(6)
k[0].metric("Orders", f"{int(s['orders']):,}", _delta("orders", "+,.0f"), help=_help("orders"))
k[1].metric("Customers", f"{int(s['customers']):,}", _delta("customers", "+,.0f"), help=_help("customers"))
k[2].metric("Repeat customers", f"{int(s['repeat_customers']):,}", _delta("repeat_customers", "+,.0f"),
            help=_help("repeat_customers"))
rate = s["repurchase_rate"]
k[3].metric("Repurchase rate", "–" if pd.isna(rate) else f"{rate:.1%}", _delta("repurchase_rate", "", True),
            help=_help("repurchase_rate"))
rev_delta = None if p is None else charts.compact(float(s["revenue"]) - float(p["revenue"]))
k[4].metric("Revenue", charts.compact(s["revenue"]), None if rev_delta is None else
            (rev_delta if rev_delta.startswith("-") else "+" + rev_delta),
            help=f"{_help('revenue')}: {s['revenue']:,.2f}. {_help('net_revenue')}: {s['net_revenue']:,.2f}")
k[5].metric("Average order value", "–" if pd.isna(s["aov"]) else f"{s['aov']:,.2f}", _delta("aov", "+,.2f"),
            help=_help("aov"))
if int(s["orders"]) == 0:
    st.info("No orders match these filters. Widen the date range or pick another country or category.")
    st.stop()

# --- Returning customers -----------------------------------------------------------------------------------------
st.subheader(f"Returning customers per {unit}", help=metric_help.definition("repurchase"))
rep = _repurchase(cur, key, f, grain)
if len(rep):
    latest = rep.iloc[-1]
    begins = pd.Timestamp(latest["period"])
    ends = begins + (pd.DateOffset(months=1) if grain == "month" else pd.Timedelta(days=7))
    partial = " — not over at the data's end" if ends > pd.Timestamp(last_day) + pd.Timedelta(days=1) else ""
    st.markdown(f"In the latest {unit} ({begins:%Y-%m-%d}{partial}), "
                f"**{latest['returning_rate']:.0%} of the {int(latest['customers']):,} customers who ordered had "
                f"ordered before**; {int(latest['new_customers']):,} were new.")
st.plotly_chart(_figure("returning", cur, key, f, grain), width="stretch", key="returning_chart")
_table("Table", rep, "ret_rep_table", "repurchase")
metric_help.download("repurchase", rep, f"repurchase_{grain}.csv", key="dl-ret-repurchase")

# --- Cohort heatmap and curves -----------------------------------------------------------------------------------
st.subheader("Cohort retention", help=metric_help.definition("retention"))
value = st.radio("Show", ["retention", "revenue_retention"], horizontal=True, key="ret_value",
                 format_func=lambda v: "Share of customers" if v == "retention" else "Share of revenue")
ret = _retention(cur, key, f, grain)
st.caption(f"Rows: customers grouped by the {unit} of their first order ever (size in brackets). Columns: {unit}s "
           "since. Cells marked * and hatched are periods not over at the data's end: they will still grow.")
st.plotly_chart(_figure("heatmap", cur, key, f, grain, value), width="stretch", key="retention_heatmap")
metric_help.download("retention", ret, f"retention_{grain}.csv", key="dl-ret-retention")

cohorts = sorted(ret["cohort"].unique()) if len(ret) else []
if cohorts:
    one = ret[(ret["period"] == 1) & ret["complete"]]
    if len(one):
        st.markdown(f"On average **{one['retention'].mean():.0%} of a cohort orders again in its next {unit}** "
                    f"(over {len(one)} cohorts with that {unit} complete).")
    # On demand: a second view of the heatmap's numbers, drawn only when asked for (one chart less to compute,
    # send and draw on every visit).
    if st.toggle("Compare cohorts as curves", key="ret_curves_on"):
        default = list(dict.fromkeys([cohorts[0], cohorts[len(cohorts) // 2], cohorts[-1]]))
        chosen = st.multiselect("Cohorts to compare", cohorts, default=default, key="ret_cohorts",
                                format_func=lambda c: pd.Timestamp(c).strftime("%Y-%m-%d"))
        st.plotly_chart(_figure("curves", cur, key, f, grain, value, tuple(chosen)), width="stretch",
                        key="retention_curves")

# --- Repeat within N days ----------------------------------------------------------------------------------------
st.subheader("Second order within N days, by cohort", help=metric_help.definition("repeat_within"))
text = st.text_input("Horizons in days (comma-separated)", "30,60,90", key="ret_days")
try:
    horizons = metrics.parse_days(text)
except RepeatError as exc:
    common.show_error(exc)
    horizons = metrics.parse_days(None)
labels = [metrics.days_label(d) for d in horizons]
rw = _repeat_within(cur, key, f, grain, tuple(horizons))
st.plotly_chart(_figure("within", cur, key, f, grain, tuple(horizons), tuple(labels)), width="stretch",
                key="repeat_within_chart")
st.caption("Hatched bars: the cohort's window runs past the data's end (its latest first order + N days is after "
           "the last order), so the share can still rise.")
_table("Table", rw, "ret_within_table", "repeat_within")
metric_help.download("repeat_within", rw, "repeat_within.csv", key="dl-ret-within")

# --- Time to second order ----------------------------------------------------------------------------------------
st.subheader("Time to second order", help=metric_help.definition("time_to_second"))
med = _time_to_second(cur, key, f, grain)[1]
overall = med[med["cohort"].isna()]
median = overall["median_days"].iloc[0] if len(overall) else None
if len(overall) and int(overall["customers"].iloc[0]):
    o = overall.iloc[0]
    st.markdown(f"**{int(o['with_second']):,} of {int(o['customers']):,} new customers "
                f"({o['with_second'] / o['customers']:.0%}) placed a second order**"
                + ("" if pd.isna(median) else f"; half of them within **{median:.0f} days**."))
st.plotly_chart(_figure("time_to_second", cur, key, f, grain), width="stretch", key="time_to_second_hist")
_table("Median per cohort", med, "ret_median_table", "time_to_second_median")
metric_help.download("time_to_second_median", med, "time_to_second_median.csv", label="Download medians CSV",
                     key="dl-ret-median")
path = str(common.db_path())
metric_help.download("time_to_second",
                     lambda: metrics.time_to_second(common.detached_cursor(path), metrics.Filters(*f), grain),
                     "time_to_second.csv", label="Download per-customer CSV", key="dl-ret-tts")
