"""The app's frame around every page: page config, the one login gate, navigation, the sidebar.

Every way into a page goes through `run()`, on Streamlit's public API only:
- app.py calls `run()`; st.navigation picks the page from the URL and `run()` executes it inside the frame.
- Every page file starts with `enter()`. A fresh Streamlit process treats the folder `pages/` beside app.py as
  old-style auto-pages until st.navigation is first called (AppTest before every run), and then executes the
  requested page file alone, without app.py: a deep link opened first, or every AppTest run. `enter()` notices
  that it is not inside the frame, runs the frame itself (its st.navigation resolves the same URL to the same
  page, login included) and stops the outer run, so the page body runs once, inside the frame.
Whether a run is inside the frame is a flag of the script thread: Streamlit executes the page in that thread.
"""

from __future__ import annotations

import importlib
import logging
import threading

import streamlit as st

from pages.parts import common, login
from recs.background import start_thread

_state = threading.local()
_warm_once = threading.Lock()
# What the model and prediction pages import (scikit-learn and SciPy through recs.predict, ~0.9 CPU s; the model
# registry; Plotly Express): loaded once per server process in the background after the first page drew, so
# moving to those pages later does not wait for it (docs/performance.md, "Pages in a browser").
WARM_IMPORTS = ("recs.predict.shelf", "recs.models", "recs.training", "recs.model_choice", "plotly.express")


def pages() -> dict[str, list[st.Page]]:
    """The app's pages by section; URL paths come from the file names (/retention, /customer, ...)."""
    return {
        "Shop": [
            st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
            st.Page("pages/retention.py", title="Retention", icon=":material/replay:"),
            st.Page("pages/customers.py", title="Customers", icon=":material/groups:"),
            st.Page("pages/predict.py", title="Predict", icon=":material/online_prediction:"),
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
            st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
        ],
    }


def inside() -> bool:
    """True while this script thread is running a page inside the frame."""
    return bool(getattr(_state, "inside", False))


def run() -> None:
    """Draw the frame and run the page the URL names; a visitor who must log in sees only the login."""
    st.set_page_config(page_title="Repeat", page_icon=":material/replay:", layout="wide")
    if not login.logged_in():
        st.navigation(pages(), position="hidden")  # hidden: a stranger never sees the page names
        login.draw_login()
        return
    navigation = st.navigation(pages())
    with st.sidebar:
        login.draw_logout()
        common.shop_switcher()  # this session's shop among data/*.duckdb, its file path as text
    _state.inside = True
    try:
        navigation.run()
    finally:
        _state.inside = False
    warm_imports()


def _import_all(names: tuple[str, ...]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a page importing it reports the problem in context
            logging.getLogger(__name__).warning("warming the import of %s failed", name, exc_info=True)


def warm_imports(names: tuple[str, ...] = WARM_IMPORTS) -> threading.Thread | None:
    """Once per process, after a page has drawn: import the heavy modules other pages need in a background thread
    (no Streamlit call in it), so a visitor moving to them does not wait for the imports. Returns the thread the
    first time, None afterwards."""
    if not _warm_once.acquire(blocking=False):
        return None
    return start_thread(_import_all, name="repeat-warm-imports", args=(names,))  # gives way to the pages


def enter() -> None:
    """First line of every page file: returns at once inside the frame; otherwise runs the frame and stops."""
    if inside():
        return
    run()
    st.stop()
