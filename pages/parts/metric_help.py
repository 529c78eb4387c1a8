"""What a page says about a metric comes from the metric's metadata (recs/metrics/sql/<name>.toml): table column
labels, formats and tooltips, tile and section help, and the CSV download, which is `recs.metrics.csv_bytes`, the
bytes `python -m recs metrics <name>` writes. No page writes its own definition text."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import streamlit as st

from recs import metrics

CLI_METRICS = ("summary", "retention", "repurchase", "repeat_within", "time_to_second", "rfm")
_FORMATS = {"count": "localized", "share": "percent", "money": "%.2f", "days": "%.1f", "periods": "%d",
            "score": "%d"}


def definition(name: str) -> str:
    """The one-line definition of metric `name` (for a caption or a section's help)."""
    return metrics.definition(name).definition


def help_text(name: str, column: str) -> str:
    """The description of one output column of metric `name` (for a tile's help)."""
    return metrics.definition(name).help(column)


def column_config(name: str, columns) -> dict:
    """st.dataframe's column_config for the shown `columns` of metric `name`: label, unit format and tooltip."""
    meta = metrics.definition(name)
    config = {}
    for column in columns:
        try:
            col = meta.column(str(column))
        except KeyError:
            continue
        if col.unit == "flag":
            config[column] = st.column_config.CheckboxColumn(col.label, help=col.description)
        elif col.unit == "date":
            config[column] = st.column_config.DateColumn(col.label, help=col.description, format="YYYY-MM-DD")
        elif col.unit in _FORMATS:
            config[column] = st.column_config.NumberColumn(col.label, help=col.description, format=_FORMATS[col.unit])
        else:
            config[column] = st.column_config.TextColumn(col.label, help=col.description)
    return config


def table(name: str, frame: pd.DataFrame, **kwargs) -> None:
    """A metric's table with its labels, formats and column help."""
    st.dataframe(frame, hide_index=True, column_config=column_config(name, frame.columns), **kwargs)


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
