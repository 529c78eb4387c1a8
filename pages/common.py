"""What every page shares: the open database, cache keys, the empty-database guard, CSV downloads.

Pages never import duckdb: they ask this module for a cursor and hand it to `recs` functions.
One connection per process (st.cache_resource), a fresh cursor per rerun.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import streamlit as st

from recs import db
from recs.errors import DatabaseBusy, RepeatError


def db_path() -> Path:
    """The warehouse this app serves ($REPEAT_DB or data/demo.duckdb)."""
    return db.default_db_path().resolve()


@st.cache_resource(show_spinner=False)
def _connection(path: str):
    return db.connect(path)


def cursor():
    """A cursor on the process-wide connection, for this rerun only. Stops the page if the file is busy."""
    try:
        return _connection(str(db_path())).cursor()
    except DatabaseBusy as exc:
        st.error(str(exc))
        st.stop()


def data_key(cur=None) -> tuple[str, int]:
    """Cache key for query results: the database file and its last import id."""
    cur = cur if cur is not None else cursor()
    return (str(db_path()), db.data_version(cur))


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


def download_csv(frame: pd.DataFrame, file_name: str, label: str = "Download CSV", key: str | None = None) -> None:
    """A CSV download button under a table: the same bytes the CLI would write."""
    data = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", file_name)
    st.download_button(label, data=data, file_name=safe, mime="text/csv", key=key or f"dl-{safe}",
                       icon=":material/download:")


def show_error(exc: RepeatError) -> None:
    """Show a user-facing error from `recs` as a red box (never a traceback)."""
    st.error(str(exc))
