"""Settings: this shop's currency and the smallest cohort the charts trust, stored in the shop's own file."""

from __future__ import annotations

import streamlit as st

from pages.parts import common, frame
from recs.errors import RepeatError
from recs.settings import MAX_MIN_COHORT, load_settings, save_settings

frame.enter()

st.title("Settings")
st.caption("Settings of this shop, kept inside its database file (so each shop has its own). The same from the "
           "command line: `python -m recs settings --db DB --currency GBP --min-cohort 20`.")

cur = common.cursor()
current = load_settings(cur)
FROM = {"setting": "set for this shop", "data": "from the data's source", "none": "none known from the data"}

with st.form("settings_form", border=True):
    currency = st.text_input(
        "Currency (three-letter code)", value=current.currency or "", max_chars=4, key="settings_currency",
        placeholder="e.g. GBP, USD, EUR; empty: no currency",
        help="Shown beside every amount on the pages (£1,234.50, 'Revenue (GBP)'). CSV downloads keep plain "
             "numbers and do not name the currency. Empty: amounts are shown as plain numbers.")
    st.caption(f"Now: {current.currency or 'no currency'} ({FROM[current.currency_source]}).")
    min_cohort = st.number_input(
        "Minimum cohort size (customers)", min_value=1, max_value=MAX_MIN_COHORT, value=current.min_cohort, step=1,
        key="settings_min_cohort",
        help="Cohorts with fewer customers are greyed on the Retention charts and tables and never picked by "
             "default: with 2 customers one re-order is 50 %.")
    saved = st.form_submit_button("Save", type="primary", key="settings_save")

if saved:
    try:
        after = save_settings(cur, currency=currency, min_cohort=int(min_cohort))
    except RepeatError as exc:
        common.show_error(exc)
    else:
        st.success("Saved: " + "; ".join(after.describe()) + ". Every page uses them from now on.")
