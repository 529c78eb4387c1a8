"""The table a user downloads: one function builds the CSV of a metric for the pages and for the CLI.

`python -m recs metrics retention --out FILE` writes `csv_bytes("retention", frame)` and the Retention page's
download button serves `csv_bytes("retention", frame)` for the same frame, so the two files are the same bytes.
Columns come in the metric's metadata order (`<name>.toml`); date columns print as YYYY-MM-DD (empty when
missing); booleans as True/False; undefined values as empty cells; text cells a spreadsheet would run as a formula
get a leading ' (recs.spreadsheet).
"""

from __future__ import annotations

import pandas as pd

from recs import spreadsheet
from recs.metrics.meta import definition


def export_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (a result of metric `name`) as its CSV table: metadata columns in order, dates as text."""
    meta = definition(name)
    columns = meta.column_names(list(frame.columns))
    out = frame[columns].copy()
    for column in columns:
        if meta.column(column).unit == "date" and not pd.api.types.is_numeric_dtype(out[column]):
            values = pd.to_datetime(out[column])
            out[column] = values.dt.strftime("%Y-%m-%d").where(values.notna(), None)
    return out


def csv_bytes(name: str, frame: pd.DataFrame) -> bytes:
    """The CSV file of metric `name` for `frame`, as UTF-8 bytes with a header and \\n line ends."""
    return spreadsheet.csv_bytes(export_frame(name, frame))
