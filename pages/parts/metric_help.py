"""What a page says about a metric comes from the metric's metadata (recs/metrics/sql/<name>.toml): table column
labels, formats and tooltips, tile and section help, and the CSV download, which is `recs.metrics.csv_bytes`, the
bytes `python -m recs metrics <name>` writes. No page writes its own definition text."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import streamlit as st

from pages.parts import common
from recs import metrics
from recs.settings import ShopSettings, load_settings

CLI_METRICS = ("summary", "retention", "repurchase", "repeat_within", "time_to_second", "rfm")
_FORMATS = {"count": "localized", "share": "percent", "money": "%.2f", "days": "%.1f", "periods": "%d",
            "score": "%d"}


def shop_settings() -> ShopSettings:
    """The open shop's settings (currency, minimum cohort size): a tiny read per rerun, so a change on the
    Settings page shows on the next page at once."""
    return load_settings(common.cursor())


def definition(name: str) -> str:
    """The one-line definition of metric `name` (for a caption or a section's help)."""
    return metrics.definition(name).definition


def help_text(name: str, column: str) -> str:
    """The description of one output column of metric `name` (for a tile's help)."""
    return metrics.definition(name).help(column)


def column_config(name: str, columns, currency: str | None = None, grain: str | None = None) -> dict:
    """st.dataframe's column_config for the shown `columns` of metric `name`: label, unit format and tooltip; money
    labelled with the shop's `currency` ('Revenue (GBP)'), a cohort or period of a month `grain` shown as 2024-01."""
    meta = metrics.definition(name)
    config = {}
    for column in columns:
        try:
            col = meta.column(str(column))
        except KeyError:
            continue
        label = f"{col.label} ({currency})" if currency and col.unit == "money" else col.label
        if col.unit == "flag":
            config[column] = st.column_config.CheckboxColumn(label, help=col.description)
        elif col.unit == "date":
            month = grain == "month" and col.name in ("cohort", "period")
            config[column] = st.column_config.DateColumn(label, help=col.description,
                                                         format="YYYY-MM" if month else "YYYY-MM-DD")
        elif col.unit in _FORMATS:
            config[column] = st.column_config.NumberColumn(label, help=col.description, format=_FORMATS[col.unit])
        else:
            config[column] = st.column_config.TextColumn(label, help=col.description)
    return config


def greyed(frame: pd.DataFrame, small) -> pd.DataFrame | object:
    """`frame` with the rows where `small` is true in grey text (cohorts under the minimum size), as a pandas
    Styler st.dataframe draws; `frame` itself when no row is small."""
    flags = pd.Series(small, index=frame.index).fillna(False).astype(bool)
    if not flags.any():
        return frame
    return frame.style.apply(lambda row: ["color: #9e9e9e" if flags[row.name] else ""] * len(row), axis=1)


def table(name: str, frame: pd.DataFrame, currency: str | None = None, grain: str | None = None, small=None,
          **kwargs) -> None:
    """A metric's table with its labels, formats and column help (money in `currency`; rows where `small` is
    true greyed)."""
    config = column_config(name, frame.columns, currency, grain)
    for column, cell in list(config.items()):  # a date column the page turned into text ("All cohorts")
        if cell.get("type_config", {}).get("type") == "date" and frame[column].dtype == object:
            config[column] = st.column_config.TextColumn(cell.get("label"), help=cell.get("help"))
    shown = frame if small is None else greyed(frame, small)
    st.dataframe(shown, hide_index=True, column_config=config, **kwargs)


def download(name: str, frame: pd.DataFrame | Callable[[], pd.DataFrame], file_name: str,
             label: str = "Download CSV", key: str | None = None) -> None:
    """A download button serving `recs.metrics.csv_bytes(name, frame)`, built only on click (Streamlit calls
    `data` lazily; `frame` may be a function for a table the page does not show)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", file_name)

    def data() -> bytes:
        return metrics.csv_bytes(name, frame() if callable(frame) else frame)

    same = (f"The file `python -m recs metrics {name}` writes for the same filters." if name in CLI_METRICS
            else "Columns as in docs/metrics.md.")
    st.download_button(label, data=data, file_name=safe, mime="text/csv", key=key or f"dl-{safe}",
                       icon=":material/download:", on_click="ignore", help=f"{metrics.definition(name).title}: {same}")


# Screen labels of the columns of tables that are not metrics (previews, experiments): the CSV keeps the names.
_TEXT, _NUMBER, _DATE, _MONEY, _SHARE = "text", "number", "date", "money", "share"
SCREEN_COLUMNS: dict[str, tuple[str, str, str | None]] = {
    "rank": ("Rank", _NUMBER, "%d"), "product_id": ("Product", _TEXT, None), "product_name": ("Name", _TEXT, None),
    "category": ("Category", _TEXT, None), "score": ("Model score", _NUMBER, "%.3f"),
    "customers": ("Customers", _NUMBER, "localized"), "share": ("Share of its buyers", _SHARE, None),
    "lift": ("Lift", _NUMBER, "%.2f"), "customer_id": ("Customer", _TEXT, None),
    "bought_before": ("Orders of it before", _NUMBER, "%d"), "last_bought": ("Last bought", _DATE, None),
    "first_bought": ("First bought", _DATE, None), "orders": ("Orders", _NUMBER, "localized"),
    "quantity": ("Quantity", _NUMBER, "localized"), "revenue": ("Revenue", _MONEY, None),
    "is_product": ("Real product", "flag", None), "order_id": ("Order", _TEXT, None),
    "ordered_at": ("Ordered at", _DATE, "YYYY-MM-DD HH:mm"), "items": ("Items", _NUMBER, "localized"),
    "lines": ("Lines", _NUMBER, "localized"), "reason": ("Why", _TEXT, None), "gap_days": ("Days since", _NUMBER, "%d"),
}


def screen_config(columns, currency: str | None = None, extra: dict | None = None) -> dict:
    """st.dataframe's column_config giving the known `columns` (SCREEN_COLUMNS, then `extra`: name -> (label, kind,
    format)) human labels and formats; money labelled with `currency`; a reason column wide enough to read."""
    known = {**SCREEN_COLUMNS, **(extra or {})}
    config = {}
    for column in columns:
        if column not in known:
            continue
        label, kind, fmt = known[column]
        if kind == _MONEY:
            config[column] = st.column_config.NumberColumn(f"{label} ({currency})" if currency else label,
                                                           format="%.2f")
        elif kind == _SHARE:
            config[column] = st.column_config.NumberColumn(label, format="percent")
        elif kind == _NUMBER:
            config[column] = st.column_config.NumberColumn(label, format=fmt)
        elif kind == _DATE:
            config[column] = st.column_config.DatetimeColumn(label, format=fmt or "YYYY-MM-DD")
        elif kind == "flag":
            config[column] = st.column_config.CheckboxColumn(label)
        else:
            config[column] = st.column_config.TextColumn(label, width="large" if column == "reason" else None)
    return config


def for_screen(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` for the screen: missing text shown as '—' instead of 'None' (numbers stay numbers)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].where(out[column].notna(), "—")
    return out


def show(frame: pd.DataFrame, currency: str | None = None, extra: dict | None = None, **kwargs) -> None:
    """A non-metric table with human column labels (`screen_config`) and no 'None' cells (`for_screen`)."""
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("placeholder", "—")  # a missing number too: Streamlit would write 'None'
    st.dataframe(for_screen(frame), column_config=screen_config(frame.columns, currency, extra), **kwargs)
