"""What every page shares: the open database, cache keys, the empty-database guard, CSV downloads.

Pages never import duckdb: they ask this module for a cursor and hand it to `recs` functions.
One connection per process (st.cache_resource), a fresh cursor per rerun.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from recs import db, shops, spreadsheet
from recs.errors import DatabaseBusy, RepeatError
from recs.spark.choice import app_engine, is_spark
from recs.text import md_escape

SHOP_KEY = "shop_path"  # this browser session's shop (a path), chosen in the sidebar or by a new-shop import


def home_db_path() -> Path:
    """The shop the app opens with ($REPEAT_DB or data/demo.duckdb); the other shops are the .duckdb files beside
    it."""
    return db.default_db_path().resolve()


def db_path() -> Path:
    """The shop this browser session looks at: its own choice (sidebar, new-shop import), else the shop named in the
    URL (`?shop=NAME`, which the picker keeps there so a reload or a bookmark stays on the shop; only names of the
    data folder's shop files are taken), else the app's default. Per session: one session's switch never shows in
    another."""
    chosen = st.session_state.get(SHOP_KEY)
    if chosen and Path(chosen).is_file():
        return Path(chosen)
    named = st.query_params.get("shop")
    if named:
        found = {shops.shop_name(p): p for p in shops.list_shops(home_db_path().parent)}
        if named in found:
            switch_shop(found[named])
            return found[named]
    return home_db_path()


def switch_shop(path: str | Path) -> None:
    """Make `path` this session's shop from the next rerun on."""
    st.session_state[SHOP_KEY] = str(Path(path).resolve())


def shop_switcher() -> None:
    """The sidebar's shop picker: the shop files of the data folder (`data/*.duckdb` beside the default shop), the
    current one marked as the demo when it is, and its file path as text."""
    current = db_path()
    found = shops.list_shops(home_db_path().parent, current)
    choice = st.selectbox("Shop", found, index=found.index(current), format_func=shops.shop_name,
                          key=f"shop-switch-{current}", help="Each shop is its own database file; switching changes "
                          "this browser tab's view only. New shops come from the Data page.")
    if choice != current:
        switch_shop(choice)
        st.rerun()
    if current == home_db_path():
        st.query_params.pop("shop", None)
    elif st.query_params.get("shop") != shops.shop_name(current):
        st.query_params["shop"] = shops.shop_name(current)
    try:
        demo = shops.is_demo(cursor())
    except RepeatError:
        demo = False
    if demo:
        st.caption("The demo shop: made-up orders for trying things out.")
    st.caption("Database file")
    st.text(str(current))  # as text: a path is not Markdown (and st.code loads a highlighter)


@st.cache_resource(show_spinner=False)
def _connection(path: str):
    return db.connect(path)


def cursor():
    """A cursor on the process-wide connection, for this rerun only. Stops the page if the file is busy."""
    try:
        return _connection(str(db_path())).cursor()
    except DatabaseBusy as exc:
        st.error(plain(exc))
        st.stop()


def detached_cursor(path: str):
    """A new cursor for work done after the rerun (a download built on click), with no Streamlit call in it."""
    engine = app_engine()  # REPEAT_ENGINE=spark: the manager figures' downloads come from Spark too
    return engine if engine is not None else _connection(path).cursor()


def metrics_cursor():
    """What the manager pages (Overview, Retention, Customers) compute on: the Spark engine over the lake when the
    app runs with REPEAT_ENGINE=spark (the page then says so), else a cursor on the shop with orders."""
    try:
        engine = app_engine()
    except RepeatError as exc:
        st.error(plain(exc))
        st.stop()
    if engine is None:
        return require_orders()
    st.caption(f"Figures computed by {engine.label} (REPEAT_ENGINE=spark).")
    return engine


def warehouse_page_note() -> None:
    """On a page that reads the warehouse file itself (Data, Experiments), say so when the app runs on Spark."""
    if os.environ.get("REPEAT_ENGINE", "").strip().lower() == "spark":
        st.info(f"This page reads the warehouse file {literal(db_path())} (DuckDB), not the Spark lake: imports, experiments "
                "and assignments live there. With REPEAT_ENGINE=spark only Overview, Retention and Customers are "
                "computed on Spark; export the lake again (python -m recs export-lake) after an import.")


def data_key(cur=None, with_assignments: bool = False) -> tuple[str, int]:
    """Cache key for query results: the database file and its last import of orders or products, so a campaign's
    holdout export (an assignments import) leaves order metrics cached; the Experiments page, which reads the
    assignments, passes `with_assignments=True` and keys by the last import of any kind."""
    cur = cur if cur is not None else cursor()
    if is_spark(cur):  # the lake and the warehouse version it was exported from
        return (cur.label, cur.orders_version)
    return (str(db_path()), db.data_version(cur) if with_assignments else db.orders_version(cur))


def require_orders(cur=None):
    """Return a cursor when the warehouse has orders; otherwise draw a friendly empty state and stop."""
    cur = cur if cur is not None else cursor()
    if not db.has_orders(cur):
        st.info(
            f"The database **{plain(db_path().name)}** has no orders yet. Load your shop's export on the "
            "**Data** page, or create the demo shop with `python -m recs demo`."
        )
        st.page_link("pages/data.py", label="Go to the Data page", icon=":material/upload:")
        st.stop()
    return cur


def products_needed(cur=None):
    """Return the cursor when the shop has products to recommend; otherwise say why the page needs them and stop
    (an orders-only shop: every manager metric works, recommendations do not)."""
    cur = cur if cur is not None else cursor()
    if db.has_orders(cur) and not shops.has_products(cur):
        st.info(f"The shop {literal(shops.shop_name(db_path()))} has orders but no products: its data came without a "
                "product column (orders only). Recommendations suggest products, so this page needs order lines "
                "with product ids. The Overview, Retention, Customers and Predict pages work on this shop as it is; import "
                "order lines with a `product_id` column on the Data page to recommend.")
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
        return spreadsheet.csv_bytes(table)  # formulas neutralised, as the CLI writes it

    st.download_button(label, data=data, file_name=safe, mime="text/csv", key=key or f"dl-{safe}",
                       icon=":material/download:", on_click="ignore")


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


def literal(text: object) -> str:
    """Text from a user or a file for a Markdown message, shown as typed: an inline code span (Markdown is not
    read inside one), with backticks and line breaks that would end it replaced."""
    clean = str(text).replace("`", "'").replace("\r", " ").replace("\n", " ")
    return f"`{clean}`" if clean.strip() else "(nothing)"


def plain(text: object) -> str:
    """A message holding text from a user or a file (ids, names, categories, rows of a file) for a Markdown
    element (st.error/info/warning/markdown/caption/metric): `recs.text.md_escape`, so links, images, HTML,
    emphasis, LaTeX and colour directives are shown as typed and no browser fetches a URL in them."""
    return md_escape(text)


def show_error(exc: RepeatError) -> None:
    """Show a user-facing error from `recs` as a red box (never a traceback); its text shown as text (`plain`)."""
    st.error(plain(exc))
