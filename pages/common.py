"""What every page shares: the open database, cache keys, the empty-database guard, CSV downloads.

Pages never import duckdb: they ask this module for a cursor and hand it to `recs` functions.
One connection per process (st.cache_resource), a fresh cursor per rerun.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from recs import db
from recs.errors import DatabaseBusy, RepeatError


def db_path() -> Path:
    """The warehouse this app serves ($REPEAT_DB or data/demo.duckdb)."""
    _ensure_app_run()
    return db.default_db_path().resolve()


@st.cache_resource(show_spinner=False)
def _connection(path: str):
    return db.connect(path)


def cursor():
    """A cursor on the process-wide connection, for this rerun only. Stops the page if the file is busy."""
    _ensure_app_run()
    try:
        return _connection(str(db_path())).cursor()
    except DatabaseBusy as exc:
        st.error(str(exc))
        st.stop()


def detached_cursor(path: str):
    """A new cursor for work done after the rerun (a download built on click), with no Streamlit call in it."""
    return _connection(path).cursor()


def data_key(cur=None, with_assignments: bool = False) -> tuple[str, int]:
    """Cache key for query results: the database file and its last import of orders or products, so a campaign's
    holdout export (an assignments import) leaves order metrics cached; the Experiments page, which reads the
    assignments, passes `with_assignments=True` and keys by the last import of any kind."""
    cur = cur if cur is not None else cursor()
    return (str(db_path()), db.data_version(cur) if with_assignments else db.orders_version(cur))


def require_orders(cur=None):
    """Return a cursor when the warehouse has orders; otherwise draw a friendly empty state and stop."""
    cur = cur if cur is not None else cursor()
    if not db.has_orders(cur):
        st.info(
            f"The database **{db_path().name}** has no orders yet. Load your shop's export on the "
            "**Data** page, or create the demo shop with `python -m recs demo`."
        )
        st.page_link("pages/data.py", label="Go to the Data page", icon=":material/upload:")
        st.stop()
    return cur


def download_csv(frame: pd.DataFrame | Callable[[], pd.DataFrame], file_name: str, label: str = "Download CSV",
                 key: str | None = None) -> None:
    """A CSV download button under a table: the same bytes the CLI would write.

    The bytes are built only when the button is clicked (Streamlit calls `data` lazily), so a rerun does not
    re-encode every table on the page (2 s CPU for a 421 k-row table at 10 M lines). `frame` may be a function
    that returns the table, for a table the page does not show (it is then computed on click only).
    """
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", file_name)

    def data() -> bytes:
        table = frame() if callable(frame) else frame
        return table.to_csv(index=False, lineterminator="\n").encode("utf-8")

    st.download_button(label, data=data, file_name=safe, mime="text/csv", key=key or f"dl-{safe}",
                       icon=":material/download:")


def build_with_progress(steps: list[tuple[str, Callable[[], object]]]) -> None:
    """Run a page's cached computations once, in order, under a progress bar, then remove the bar.

    On a first render of a big shop this is where the seconds go; once cached every step is instant. An error
    stops the warm-up quietly: the page's own call of the same step shows it in context.
    """
    bar = st.progress(0.0, text="Computing the figures…")
    try:
        for i, (label, step) in enumerate(steps):
            bar.progress(i / len(steps), text=f"Computing {label}… ({i + 1} of {len(steps)})")
            step()
    except RepeatError:
        pass
    finally:
        bar.empty()


def show_error(exc: RepeatError) -> None:
    """Show a user-facing error from `recs` as a red box (never a traceback)."""
    st.error(str(exc))


@st.cache_resource(show_spinner=False)
def _failed_logins() -> dict[str, int]:
    """Process-wide count of consecutive failed password tries (a new session does not reset it)."""
    return {"count": 0}


def _login_method() -> str:
    from recs import auth

    return auth.login_method(st.get_option("server.address"), auth.secrets_have_oidc(), auth.configured_password())


def logged_in() -> bool:
    """True when no login is required or the visitor has passed it (draws nothing)."""
    method = _login_method()
    if method == "none":
        return True
    if method == "oidc":
        return bool(st.user.is_logged_in)
    return method == "password" and bool(st.session_state.get("authenticated"))


def login_gate() -> bool:
    """Draw the login when one is required; True when the visitor may see pages.

    Runs before any page draws. Local address and nothing configured: open. OIDC configured:
    st.login. Password configured: a password form. Non-local with neither: refuse.
    """
    import time

    from recs import auth

    host = st.get_option("server.address")
    method = _login_method()
    if method == "none":
        return True
    if method == "refuse":
        st.error(auth.refusal_message(host))
        return False
    if method == "oidc":
        if st.user.is_logged_in:
            with st.sidebar:
                st.button("Log out", on_click=st.logout, key="logout")
            return True
        st.title("Repeat")
        st.write("This shop's order data is private. Log in to continue.")
        st.button("Log in", on_click=st.login, type="primary", key="login")
        return False
    if st.session_state.get("authenticated"):
        with st.sidebar:
            if st.button("Log out", key="logout"):
                st.session_state["authenticated"] = False
                st.rerun()
        return True
    st.title("Repeat")
    st.write("This shop's order data is private. Enter the password to continue.")
    with st.form("login", clear_on_submit=True):
        given = st.text_input("Password", type="password", key="password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        failures = _failed_logins()
        if auth.check_password(given, auth.configured_password() or ""):
            failures["count"] = 0
            st.session_state["authenticated"] = True
            st.rerun()
        failures["count"] += 1
        time.sleep(auth.failure_delay(failures["count"]))
        st.error("Wrong password.")
    return False


def enter_app_run() -> None:
    """Called by app.py at the start of every run: this script thread goes through the login gate.

    It also ends Streamlit's old pages/ mode for the process (see `_ensure_app_run`).
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    PagesManager.uses_pages_directory = False
    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx.repeat_via_app = True  # per session: its runs go through app.py from now on


def _ensure_app_run() -> None:
    """Make sure no run reaches the data without passing app.py's login gate.

    Streamlit treats a folder named `pages/` beside the main script as old-style auto-pages until
    st.navigation has run once in the process (AppTest resets this before every run), so the first
    visit to a deep link such as /retention runs that page alone, without app.py. Such a run reruns
    through app.py when it is the session's first or when a login is required.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    main_script = Path(ctx.pages_manager.main_script_path).name if ctx is not None else ""
    page_alone = PagesManager.uses_pages_directory or (
        main_script == "app.py" and not getattr(ctx, "repeat_via_app", False))
    if not page_alone:
        return
    PagesManager.uses_pages_directory = False
    first_run = not st.session_state.get("_repeat_routed")
    st.session_state["_repeat_routed"] = True
    # The session's first run has no clicks to lose, so it reruns through app.py (sidebar, layout, login);
    # later page-alone runs (AppTest makes one per run) only rerun when a login is still needed.
    if first_run or (_login_method() != "none" and not logged_in()):
        st.rerun()
