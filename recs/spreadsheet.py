"""CSV files a spreadsheet opens safely: text cells that Excel or LibreOffice would run as a formula are neutralised.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to a spreadsheet (OWASP "CSV
injection"): a customer id `=HYPERLINK("http://evil","x")` in a campaign list would become a live link. As OWASP
recommends, such text cells get a leading `'`, which spreadsheets show as text. Only text cells change: numeric
columns are written as numbers (a negative score stays -0.5), and a text cell that is a plain number ("-12",
"+3.5e2") is left as it is, since a spreadsheet reads it as that number and runs nothing. Every CSV Repeat
writes (page downloads, metric files, CLI output) goes through `csv_bytes` or `neutralise_formulas`.
"""

from __future__ import annotations

import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise_cell(value: object) -> object:
    """`'` + the text when a spreadsheet would evaluate it, else the value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every risky text cell neutralised (a copy when something changed; numeric columns untouched)."""
    out = frame
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values) \
                or pd.api.types.is_bool_dtype(values):
            continue
        text = values.astype(object)
        risky = text.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START)).astype(bool)
        if not risky.any():
            continue
        if out is frame:
            out = frame.copy()
        out[column] = text.where(~risky, text.map(neutralise_cell))
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV file of a table (header, no index, \\n line ends, UTF-8), formulas neutralised."""
    return neutralise_formulas(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")

