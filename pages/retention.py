"""Retention: are customers coming back, which cohorts stick, how fast does a first order become a second?"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from pages.parts import common, frame, metric_help
from recs import metrics
from recs.errors import RepeatError
from recs.metrics import charts
from recs.metrics import cohorts as cohort_rules
from recs.metrics.ltv import observed_ltv
from recs.metrics.ltv_chart import ltv_curves

frame.enter()

st.title("Retention")
st.caption("Returning customers, cohort retention, repeat within N days and time to second order. Every chart and "
           "table follows the filters. Definitions and SQL: docs/metrics.md.")

cur = common.metrics_cursor()  # DuckDB, or Spark with REPEAT_ENGINE=spark
key = common.data_key(cur)
shop = metric_help.shop_settings()
WEEKS_SHOWN = 26  # a weekly grid's default width: half a year of columns stays readable
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


@st.cache_data(show_spinner=False)
def _ltv(_cur, key, f: tuple, grain: str) -> pd.DataFrame:
    return observed_ltv(_cur, grain, metrics.Filters(*f))


# Figures are built once per data version and choice and shared by every session (st.cache_resource: the same
# object, never copied; st.plotly_chart only reads it), so a rerun or a second visitor does not rebuild them.
@st.cache_resource(show_spinner=False, max_entries=32)
def _figure(kind: str, _cur, key, f: tuple, grain: str, *args):
    if kind == "returning":
        return charts.returning_chart(_repurchase(_cur, key, f, grain))
    if kind == "heatmap":
        value, min_cohort, max_periods, currency = args
        return charts.retention_heatmap(_retention(_cur, key, f, grain), grain, value, min_cohort, max_periods,
                                        currency)
    if kind == "curves":
        value, chosen = args
        return charts.retention_curves(_retention(_cur, key, f, grain), list(chosen), grain, value)
    if kind == "within":
        horizons, labels, min_cohort = args
        return charts.repeat_within_chart(_repeat_within(_cur, key, f, grain, horizons), list(labels), grain,
                                          min_cohort)
    days_hist, med = _time_to_second(_cur, key, f, grain)
    overall = med[med["cohort"].isna()]
    return charts.time_to_second_histogram(days_hist, overall["median_days"].iloc[0] if len(overall) else None)


def _table(label: str, frame: pd.DataFrame, key: str, metric: str, small=None) -> None:
    """A table in an expander that is sent to the browser only once opened (the download beside it always has it);
    column labels, formats and help from the metric's metadata; rows of cohorts under the minimum size greyed."""
    box = st.expander(label, on_change="rerun", key=key)
    if box.open:
        with box:
            metric_help.table(metric, frame, shop.currency, grain, small=small)


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
rev_delta = None if p is None else shop.money(float(s["revenue"]) - float(p["revenue"]), compact=True)
k[4].metric("Revenue", shop.money(s["revenue"], compact=True), None if rev_delta is None else
            (rev_delta if rev_delta.startswith("-") else "+" + rev_delta),
            help=f"{_help('revenue')}: {shop.money(s['revenue'])}. {_help('net_revenue')}: "
                 f"{shop.money(s['net_revenue'])}")
aov_change = None if _delta("aov", "") is None else float(s["aov"]) - float(p["aov"])
k[5].metric("Average order value", shop.money(s["aov"]),
            None if aov_change is None else ("+" if aov_change >= 0 else "") + shop.money(aov_change),
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
    when = f"{begins:%b %Y}" if grain == "month" else f"from {begins:%Y-%m-%d}"
    st.markdown(f"In the latest {unit} ({when}{partial}), "
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
sizes = cohort_rules.cohort_sizes(ret)
last_period = int(ret["period"].max()) if len(ret) else 0
shown_periods = None
if grain == "week" and last_period > WEEKS_SHOWN:  # 100+ weekly columns are unreadable: show the first ones
    shown_periods = st.slider("Weeks since the first order shown", 4, last_period, WEEKS_SHOWN, step=1,
                              key="ret_weeks_shown",
                              help="The heatmap shows weeks 0 to this many; the CSV below has every week.")
st.caption(f"Rows: customers grouped by the {unit} of their first order ever (size in brackets). Columns: {unit}s "
           "since. Cells marked * and hatched are periods not over at the data's end: they will still grow. "
           f"Grey: {unit} 0 (100 % by definition, left out of the colour scale) and cohorts of fewer than "
           f"{shop.min_cohort:,} customers (too few to read; the minimum is on the **Settings** page).")
if value == "revenue_retention" and len(ret) and (ret["revenue_retention"] > 1).any():
    over = ret[ret["revenue_retention"] > 1]
    st.caption(f"Revenue retention above 100 % ({len(over):,} cells, up to {over['revenue_retention'].max():.0%}): "
               f"that {unit} the cohort's returning customers spent more than the whole cohort did in its first "
               f"{unit}, typically a few large orders from a small cohort. The colour stops at 100 %; the cell "
               "shows the real figure.")
st.plotly_chart(_figure("heatmap", cur, key, f, grain, value, shop.min_cohort, shown_periods, shop.currency),
                width="stretch", key="retention_heatmap")
metric_help.download("retention", ret, f"retention_{grain}.csv", key="dl-ret-retention")

cohorts = list(sizes.index)
if cohorts:
    nxt = cohort_rules.next_period_rate(ret)
    if nxt is not None:
        st.markdown(f"**{nxt.rate:.1%} of customers order again in the {unit} after their first** "
                    f"({nxt.returning:,} of {nxt.customers:,} customers in the {nxt.cohorts:,} cohorts whose next "
                    f"{unit} is over; weighted by customers, so a small cohort counts as little as it weighs).",
                    help=f"{metric_help.help_text('retention', 'retention')} A plain average of the cohorts' rates "
                         f"would say {nxt.unweighted:.1%}.")
    # On demand: a second view of the heatmap's numbers, drawn only when asked for (one chart less to compute,
    # send and draw on every visit).
    if st.toggle("Compare cohorts as curves", key="ret_curves_on"):
        default = cohort_rules.default_cohorts(sizes, shop.min_cohort)
        # Keep the choice across filter changes: drop cohorts the new filters no longer have, and start again
        # from the default when none is left (never a blank chart after a filter change).
        kept = [c for c in st.session_state.get("ret_cohorts", []) if c in cohorts]
        st.session_state["ret_cohorts"] = kept or default
        chosen = st.multiselect("Cohorts to compare", cohorts, key="ret_cohorts",
                                format_func=lambda c: pd.Timestamp(c).strftime("%Y-%m" if grain == "month"
                                                                               else "%Y-%m-%d")
                                + f" (n={int(sizes[c]):,})" + (" small" if sizes[c] < shop.min_cohort else ""))
        if not default:
            st.caption(f"No cohort here has {shop.min_cohort:,} customers or more, so none is picked for you.")
        st.plotly_chart(_figure("curves", cur, key, f, grain, value, tuple(chosen)), width="stretch",
                        key="retention_curves")

# --- Observed lifetime value (the LTV curve) -----------------------------------------------------------------------
st.subheader("Lifetime value so far, by cohort", help=metric_help.definition("ltv"))
ltv = _ltv(cur, key, f, grain)
st.caption(f"Cumulative revenue per customer by {unit}s since their first order, one line per cohort of "
           f"{shop.min_cohort:,}+ customers; the predicted 12-month value per customer is on the **Predict** page.")
st.plotly_chart(ltv_curves(ltv, shop.min_cohort, shop.currency), width="stretch", key="ltv_curves")
metric_help.download("ltv", ltv, f"ltv_{grain}.csv", key="dl-ret-ltv")

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
st.plotly_chart(_figure("within", cur, key, f, grain, tuple(horizons), tuple(labels), shop.min_cohort),
                width="stretch", key="repeat_within_chart")
st.caption("Hatched bars: the cohort's window runs past the data's end (its latest first order + N days is after "
           f"the last order), so the share can still rise. Grey bars: cohorts of fewer than {shop.min_cohort:,} "
           "customers, where one customer moves the share a lot.")
_table("Table", rw, "ret_within_table", "repeat_within", small=rw["customers"].astype(float) < shop.min_cohort)
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
_table("Median per cohort", med.assign(cohort=med["cohort"].map(
    lambda c: "All cohorts" if pd.isna(c) else pd.Timestamp(c).strftime("%Y-%m" if grain == "month" else "%Y-%m-%d"))),
    "ret_median_table", "time_to_second_median",
    small=med["cohort"].notna() & (med["customers"].astype(float) < shop.min_cohort))
metric_help.download("time_to_second_median", med, "time_to_second_median.csv", label="Download medians CSV",
                     key="dl-ret-median")
path = str(common.db_path())
metric_help.download("time_to_second",
                     lambda: metrics.time_to_second(common.detached_cursor(path), metrics.Filters(*f), grain),
                     "time_to_second.csv", label="Download per-customer CSV", key="dl-ret-tts")
