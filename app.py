"""Repeat's Streamlit entry point: login gate, shared sidebar, then the page the user picked."""

from __future__ import annotations

import streamlit as st

from pages import common

st.set_page_config(page_title="Repeat", page_icon=":material/replay:", layout="wide")

allowed = common.login_gate()

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

# st.navigation runs on every rerun, also before login, so the sidebar never lists pages to a stranger.
navigation = st.navigation(PAGES, position="sidebar" if allowed else "hidden")
if not allowed:
    st.stop()
with st.sidebar:
    st.caption("Database")
    st.code(str(common.db_path()), language=None)
navigation.run()
