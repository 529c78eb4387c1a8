"""Repeat's Streamlit entry point: login gate, shared sidebar, then the page the user picked."""

from __future__ import annotations

import streamlit as st

from pages import common

st.set_page_config(page_title="Repeat", page_icon=":material/replay:", layout="wide")
common.enter_app_run()

PAGES = {
    "Shop": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/retention.py", title="Retention", icon=":material/replay:"),
        st.Page("pages/customers.py", title="Customers", icon=":material/groups:"),
    ],
    "Recommend": [
        st.Page("pages/recommendations.py", title="Recommendations", icon=":material/recommend:"),
        st.Page("pages/customer.py", title="Customer", icon=":material/person_search:"),
        st.Page("pages/product.py", title="Product", icon=":material/inventory_2:"),
    ],
    "Prove": [
        st.Page("pages/experiments.py", title="Experiments", icon=":material/science:"),
    ],
    "Manage": [
        st.Page("pages/data.py", title="Data", icon=":material/database:"),
    ],
}

# Navigation is set up on every run, hidden until the visitor is logged in, so a stranger never sees page names.
if not common.logged_in():
    st.navigation(PAGES, position="hidden")
    common.login_gate()
    st.stop()
navigation = st.navigation(PAGES)
with st.sidebar:
    st.caption("Database")
    st.code(str(common.db_path()), language=None)
navigation.run()
