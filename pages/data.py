"""Data: load a shop's export (orders, experiment assignments, products), check it, import it, see the history.

Thin page: every step calls recs.importer. The upload is written to a temporary directory for the
length of one run and deleted afterwards, never kept.
"""

from __future__ import annotations

import re
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from pages.parts import common, frame
from recs import db, importer, shops
from recs.errors import RepeatError
from recs.service.spool import default_spool_dir
from recs.service.spool_import import import_spool, pending_counts

frame.enter()

KINDS = {"Orders": "orders", "Experiment assignments": "assignments", "Products": "products"}
NONE = "(none)"
REPLACE = "If this exact file was imported before, replace that import"
# The import history on screen: human labels (the CSV keeps the names and every digit).
HISTORY_LABELS = {"id": "Import", "kind": "What", "file_name": "File", "format": "Layout", "rows_read": "Rows read",
                  "rows_kept": "Rows kept", "rows_removed": "Rows removed", "rows_rejected": "Rows refused",
                  "started_at": "Started", "finished_at": "Finished", "seconds": "Seconds"}
HISTORY_KINDS = {"orders": "orders", "assignments": "experiment assignments", "products": "products",
                 "demo": "demo shop (generated)"}

st.title("Data")
st.caption("Load your shop's export as CSV, Parquet or Excel (.xlsx). Each import is one transaction: a file "
           "with a problem changes nothing, and the same file twice is recognised. Columns and formats: "
           "docs/data-format.md.")

common.warehouse_page_note()
cur = common.cursor()


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(name).name).strip("._") or "upload.csv"


def _report_frame(report: importer.ImportReport) -> pd.DataFrame:
    return pd.DataFrame(report.as_rows(), columns=["measure", "value"])


def _show_reports(reports: list[importer.ImportReport], verb: str) -> None:
    for report in reports:
        if report.skipped_as_already_imported:  # the page's words: the CLI's message names --replace
            when = str(report.previous_import_at or "")[:16]
            st.info(f"{common.literal(report.file_name)}: already imported (import #{report.previous_import_id} on "
                    f"{when}), so nothing was added. To load it again in place of that import, tick **{REPLACE}**.")
            continue
        st.success(f"{common.literal(report.file_name)}: {verb} {report.rows_kept:,} of {report.rows_read:,} rows "
                   f"({report.kind}, {report.format}, {report.file_type}).")
        st.dataframe(_report_frame(report), hide_index=True)
        if report.losses():  # only figures: plain text, no Markdown
            st.warning(report.losses())


def _history_for_screen(history: pd.DataFrame) -> pd.DataFrame:
    """The import history for the screen (labels: HISTORY_LABELS); a deletion row says what it deleted and how many rows it removed
    (in the table its `rows_kept` holds the rows removed and `format` the kind deleted)."""
    deletion = history["kind"] == "deletion"
    screen = history.drop(columns="sha256").assign(
        kind=history["kind"].map(HISTORY_KINDS).fillna(history["kind"]).where(
            ~deletion, "deletion of " + history["format"].map(HISTORY_KINDS).fillna(history["format"])),
        format=history["format"].where(~deletion, ""),
        rows_removed=history["rows_kept"].where(deletion).astype("Int64"),
        rows_kept=history["rows_kept"].where(~deletion).astype("Int64"),
        started_at=history["started_at"].astype(str).str[:19], finished_at=history["finished_at"].astype(str).str[:19])
    return screen[list(HISTORY_LABELS)]


def _delete_section(history: pd.DataFrame) -> None:
    """Delete one import (one transaction; the figures are rebuilt), after saying what it removes."""
    done = st.session_state.pop("data_deleted", None)
    if done:
        st.success(common.plain(done))  # names the deleted file: text
    imports = history[history["kind"] != "deletion"]
    if imports.empty:
        return
    st.markdown("**Delete an import**")
    labels = {int(r.id): f"#{r.id} {r.kind}: {r.file_name} ({r.rows_kept:,} rows)" for r in imports.itertuples()}
    chosen = st.selectbox("Import to delete", list(labels), format_func=labels.get,  # one choice per shop: the
                          key=f"data_delete_id-{common.db_path()}")  # same id in another shop is another import
    row = imports[imports["id"] == chosen].iloc[0]
    if row["kind"] == "products":
        st.caption("A products file cannot be deleted: its names and categories were merged into the products "
                   "table. Import a corrected products file instead.")
        return
    what = "assignments" if row["kind"] == "assignments" else "order lines"
    st.warning(f"Deleting import #{chosen} ({common.literal(row['file_name'])}) removes its {int(row['rows_kept']):,} "
               f"{what} from the shop {common.literal(shops.shop_name(common.db_path()))} in one transaction: the "
               "orders and product figures are rebuilt, and models trained before become out of date. Importing "
               "the same file again brings it back.")
    sure = st.checkbox("Yes, delete this import", key=f"data_delete_sure-{chosen}")
    if st.button("Delete import", key="data_delete", icon=":material/delete:", disabled=not sure):
        try:
            deletion = importer.delete_import(cur, chosen)
        except RepeatError as exc:
            common.show_error(exc)
            return
        st.cache_data.clear()
        st.session_state.pop("data_check_key", None)
        st.session_state["data_deleted"] = deletion.to_text()
        st.rerun()


def _mapping_widgets(header: list[str], kind: str, fmt: str) -> dict[str, str]:
    """Selectboxes mapping our column names to the file's, shown when required names are missing."""
    layout = importer.layout_for(kind, fmt)
    suggested = importer.suggest_mapping(header, kind, fmt)
    missing = [c for c in layout.required if suggested.get(c) is None]
    orders_only = "product_id" in layout.optional and suggested.get("product_id") is None
    if orders_only and not missing:
        st.warning("The file has no product column, so it imports as **orders only**: every manager metric works, "
                   "recommendations need products. If a column holds product ids under another name, pick it as "
                   "product_id below.")
    if not missing and not orders_only:
        with st.expander("Column mapping (found automatically)"):
            st.dataframe(pd.DataFrame({"our column": list(suggested), "file column": [v or NONE for v in
                                                                                    suggested.values()]}),
                         hide_index=True)
        return {}
    if missing:
        st.warning(f"The file has no column named {', '.join(missing)}. Pick which file column holds each one.")
    options = [NONE, *header]
    mapping: dict[str, str] = {}
    cols = st.columns(3)
    for i, ours in enumerate(layout.names()):
        default = suggested.get(ours)
        choice = cols[i % 3].selectbox(f"{ours}{' (required)' if ours in layout.required else ''}", options,
                                       index=options.index(default) if default in options else 0,
                                       key=f"map-{kind}-{ours}")
        if choice != NONE:
            mapping[ours] = choice
    return mapping


def _when(value) -> str:
    return f"{value:%Y-%m-%d}" if value else "?"


def _target_widgets(reports: list[importer.ImportReport], file_name: str) -> Path | None | bool:
    """New shop or this shop, defaulting to the advice of `shops.placement`, with what the import will do shown
    first. Returns the new shop's path, None to add to this shop, or False when the new shop's name is unusable."""
    advice = shops.placement(cur, reports)
    orders = next(r for r in reports if r.kind == "orders" and not r.skipped_as_already_imported)
    here = shops.shop_name(common.db_path())
    labels = {"new": "New shop from this file", "add": f"Add to this shop ({common.plain(here)})"}
    choice = st.radio("Where should the data go?", list(labels), index=0 if advice.new_shop else 1,
                      format_func=labels.get, horizontal=True, key=f"data_target-{here}")
    st.caption(f"Suggested: {labels['new' if advice.new_shop else 'add'].lower()}, because {common.plain(advice.reason)}.")
    period = f"{orders.first_at[:10]} .. {orders.last_at[:10]}" if orders.first_at else "no dates"
    if choice == "new":
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(file_name).stem).strip("-_").lower() or "shop"
        name = st.text_input("Name of the new shop", value=stem, key=f"data_new_shop_name-{stem}")  # per file
        try:
            path = shops.new_shop_path(common.home_db_path().parent, name)
        except RepeatError as exc:
            common.show_error(exc)
            return False
        st.info(f"Import will create the shop {common.literal(shops.shop_name(path))} (file {common.literal(path)}) "
                f"with {orders.rows_kept:,} lines: {orders.orders:,} orders of {orders.customers:,} customers, "
                f"{period}; then this browser tab switches to it. The shop {common.literal(here)} stays as it is.")
        return path
    first = min(filter(None, [advice.shop_first, datetime.fromisoformat(orders.first_at) if orders.first_at else None]),
                default=None)
    last = max(filter(None, [advice.shop_last, datetime.fromisoformat(orders.last_at) if orders.last_at else None]),
               default=None)
    st.info(f"Import will add {orders.rows_kept:,} lines ({orders.orders:,} orders, {period}) to the shop "
            f"{common.literal(here)}: {orders.customers_in_shop:,} of the file's {orders.customers:,} customers "
            f"already buy here; the shop's period becomes {_when(first)} .. {_when(last)}. Models trained before "
            "become out of date; the import can be deleted later below.")
    return None


def _preview(file_id: str, path: Path, fmt: str = "generic"):
    """The first 20 rows, read once per upload (an Excel file is parsed whole to show them: seconds on a big one),
    not again on every click of the page."""
    cached = st.session_state.get("data_preview")
    if cached is None or cached[0] != (file_id, fmt):
        cached = ((file_id, fmt), importer.preview_file(path, n=20, fmt=fmt))
        st.session_state["data_preview"] = cached
    return cached[1]


def _import_section() -> None:
    c1, c2 = st.columns([3, 2])
    kind = KINDS[c1.radio("What is in the file?", list(KINDS), horizontal=True, key="data_kind")]
    fmt = "generic"
    if kind == "orders":
        fmt = c2.selectbox("Layout", importer.FORMATS, key="data_fmt",
                           help="generic: order_id, customer_id, ordered_at, product_id, quantity, unit_price "
                                "(+ status, product_name, category, country). online-retail: the UCI Online Retail "
                                "(II) export (InvoiceNo, StockCode, Description, Quantity, InvoiceDate, ...). cdnow: the CDNOW "
                                "purchase log (whitespace-separated text, no header; orders only).")
    upload = st.file_uploader("File (CSV, Parquet or .xlsx; at most 200 MB)", type=["csv", "tsv", "txt", "parquet",
                                                                                   "xlsx"], key="data_upload")
    replace = st.checkbox(REPLACE, key="data_replace")
    if upload is None:
        return
    with tempfile.TemporaryDirectory(prefix="repeat-upload-") as tmp:
        path = Path(tmp) / _safe_name(upload.name)
        path.write_bytes(upload.getbuffer())
        try:
            preview = _preview(upload.file_id, path, fmt)
        except RepeatError as exc:
            common.show_error(exc)
            return
        if fmt == "cdnow":  # the log has no header and line totals: show what the import makes of it
            st.markdown("**First rows as they will be imported**: one order per customer and day, the price of one "
                        "CD (line value / CDs)")
            st.dataframe(preview, hide_index=True, column_config={"unit_price": st.column_config.NumberColumn(
                "unit_price", format="%.2f")})
        else:
            st.markdown("**First rows of the file**, exactly as written")
            st.dataframe(preview, hide_index=True)
        mapping = {} if fmt == "cdnow" else _mapping_widgets(list(preview.columns), kind, fmt)
        files = {kind: path}
        version = db.data_version(cur) if kind == "assignments" else db.orders_version(cur)  # a holdout export
        check_key = (upload.file_id, kind, fmt, replace, tuple(sorted(mapping.items())), version,
                     str(common.db_path()))  # keeps the check
        st.markdown("**Validation**")
        if st.session_state.get("data_check_key") != check_key:
            try:
                with st.spinner("Checking the whole file ..."):
                    checked = importer.import_files(cur, **files, fmt=fmt, replace=replace, mapping=mapping or None,
                                                    dry_run=True)
                st.session_state["data_check"] = ("ok", checked)
            except RepeatError as exc:
                st.session_state["data_check"] = ("error", str(exc))
            st.session_state["data_check_key"] = check_key
        status, result = st.session_state["data_check"]
        if status == "error":
            st.error(common.plain(result))  # the file's own values, shown as text
            return
        _show_reports(result, "ready to import")
        if all(r.skipped_as_already_imported for r in result):
            return
        target = _target_widgets(result, upload.name) if kind == "orders" else None
        if st.button("Import", type="primary", key="data_import", icon=":material/upload:", disabled=target is False):
            bar = st.progress(0.0, text="Starting the import")
            show = lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m)  # noqa: E731
            try:
                if isinstance(target, Path):  # a new shop: its own file, then this session looks at it
                    reports = shops.create_shop(target, **files, fmt=fmt, mapping=mapping or None, progress=show)
                    common.switch_shop(target)
                else:
                    reports = importer.import_files(cur, **files, fmt=fmt, replace=replace, mapping=mapping or None,
                                                    progress=show)
            except RepeatError as exc:
                common.show_error(exc)
                return
            bar.progress(1.0, text="Import finished")
            st.cache_data.clear()
            if isinstance(target, Path):
                st.session_state["data_new_shop"] = (str(target), reports)
                st.session_state.pop("data_check_key", None)
                st.rerun()  # the sidebar and every page now show the new shop
            st.session_state["data_last"] = reports
            st.session_state.pop("data_check_key", None)
            _show_reports(reports, "imported")


with st.container(border=True):
    st.subheader("Import a file")
    created = st.session_state.pop("data_new_shop", None)
    if created:
        st.success(f"New shop {common.literal(shops.shop_name(created[0]))} created; this tab now shows it "
                   "(switch shops in the sidebar).")
        _show_reports(created[1], "imported")
    _import_section()

spool_dir = default_spool_dir(common.db_path())
if spool_dir.is_dir():  # orders and A/B assignments posted to `python -m recs api` (docs/api.md)
    st.subheader("Orders from the API service")
    pending_orders, pending_assignments = pending_counts(spool_dir)
    st.caption(f"{pending_orders:,} order(s) and {pending_assignments:,} experiment assignment(s) posted to the API "
               "service are waiting to be imported (one transaction; orders already here are skipped).")
    if st.button("Import the service's orders", key="data_import_spool", icon=":material/move_to_inbox:",
                 disabled=not (pending_orders or pending_assignments)):
        try:
            spool_report = import_spool(cur, spool_dir)
        except RepeatError as exc:
            common.show_error(exc)
        else:
            st.cache_data.clear()
            st.success(common.plain(spool_report.to_text()))

st.subheader("What the warehouse holds")
counts = db.table_counts(cur)
history = importer.import_history(cur)
if "imports" in counts and not history.empty:  # the table also records deletions: count the imports themselves
    counts["imports"] = int((history["kind"] != "deletion").sum())
for col, (table, n) in zip(st.columns(len(counts)), counts.items(), strict=True):
    col.metric(table.replace("_", " "), f"{n:,}")
st.caption(f"Shop {common.literal(shops.shop_name(common.db_path()))}, database file: {common.literal(common.db_path())}")

st.subheader("Import history")
if history.empty:
    st.caption("No imports yet. Load a file above, or create the demo shop with `python -m recs demo`.")
else:
    counts = {c: st.column_config.NumberColumn(HISTORY_LABELS[c], format="localized")
              for c in ("rows_read", "rows_kept", "rows_removed", "rows_rejected")}
    st.dataframe(_history_for_screen(history), hide_index=True, width="stretch", placeholder="",  # blank, not None
                 column_config={**HISTORY_LABELS, **counts,  # the frame keeps the names
                                "seconds": st.column_config.NumberColumn("Seconds", format="%.2f")})
    common.download_csv(history, "imports.csv", label="Download import history (CSV)", key="dl-imports")
    _delete_section(history)
