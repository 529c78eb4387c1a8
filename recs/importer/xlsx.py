"""The first worksheet of an .xlsx workbook as rows of text cells (header first), for staging.

Read with calamine (a Rust reader): 100,000 rows x 8 columns stage in about 2.5 s where openpyxl took 13 s, and a
20-row preview of that file takes 1 s (openpyxl needed 3.2 s just to open it: it loads every shared string).
Cells become text as in a CSV: integral numbers without '.0', dates and times in ISO form (a date cell is
midnight, as Excel stores it), booleans as true/false, empty cells as NULL; columns count from A and rows from 1
whatever the sheet's used range, so row numbers in messages are the spreadsheet's.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from xml.etree import ElementTree

from recs.errors import InputError

Rows = list[list[str | None]]


def cell_text(value: object) -> str | None:
    """One cell as the text staged for it (None for an empty cell)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):  # calamine gives a date for a date-time at midnight
        return datetime.combine(value, time()).isoformat(sep=" ")
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):  # a duration cell: as Excel shows [h]:mm:ss
        seconds = int(value.total_seconds())
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)


def _unreadable(path: Path, exc: Exception) -> InputError:
    return InputError(f"{path.name}: not a readable Excel .xlsx workbook ({exc})")


# The most cells (rows x columns, counted from A1) a worksheet may span: every row Excel allows x 48 columns.
# calamine allocates the whole rectangle at once (32 bytes a cell: 1.6 GB here), so one stray cell at XFD1048576
# would ask for 549 GB and abort the process (the CLI and the app server alike); such a sheet is refused before
# calamine reads it, from a streaming pass over the sheet's cell references (0.5 s per 100,000 rows x 8).
MAX_CELLS = 50_331_648
_CELL_COLUMN = re.compile(rb'<c [^>]*?r="([A-Z]{1,3})[0-9]')
_ROW_NUMBER = re.compile(rb'<row [^>]*?r="([0-9]{1,7})"')
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def _first_sheet_part(archive: zipfile.ZipFile) -> str | None:
    """The zip member holding the first worksheet (workbook.xml's first sheet, through its relationship)."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    sheet = next((el for el in book.iter() if el.tag.endswith("}sheet")), None)
    if sheet is None:
        return None
    target = next((el.get("Target") for el in rels.iter() if el.get("Id") == sheet.get(_REL_NS)), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def used_extent(path: Path) -> tuple[int, int, str]:
    """(last row, last column, last cell's name) of the first worksheet's cells, read from the sheet's XML without
    building the grid: one streaming pass over the cell references (0, 0, '') when the sheet cannot be found."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = _first_sheet_part(archive)
            if part is None or part not in archive.namelist():
                return 0, 0, ""
            last_row, columns, tail = 0, set(), b""
            with archive.open(part) as fh:
                while chunk := fh.read(1 << 22):
                    text = tail + chunk  # a reference cut by the chunk edge is read whole from the carried tail
                    columns.update(_CELL_COLUMN.findall(text))
                    last_row = max(last_row, *map(int, _ROW_NUMBER.findall(text)), 0)
                    tail = text[-40:]
            last_col = max(map(_column_number, columns), default=0)
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0, 0, ""  # calamine says what is wrong with the file
    letters = ""
    col = last_col
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return last_row, last_col, f"{letters}{last_row}"


def _check_extent(path: Path) -> None:
    rows, cols, cell = used_extent(path)
    if rows * cols > MAX_CELLS:
        raise InputError(f"{path.name}: the first worksheet has a cell as far as {cell}, so its used range A1:{cell} "
                         f"spans {rows * cols:,} cells (at most {MAX_CELLS:,} are read); delete the stray cells far "
                         "from the data (select the empty rows and columns after it, Delete) or save the sheet as "
                         "CSV")


def _sheet_rows(path: Path, limit: int | None) -> list[list[object]]:
    from python_calamine import CalamineError, CalamineWorkbook

    _check_extent(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        try:
            if not workbook.sheet_names:
                return []
            sheet = workbook.get_sheet_by_index(0)
            return sheet.to_python(skip_empty_area=False, nrows=None if limit is None else limit + 1)
        finally:
            workbook.close()
    except (CalamineError, OSError, ValueError) as exc:
        raise _unreadable(path, exc) from exc


def read_rows(path: str | Path, limit: int | None = None) -> tuple[list[str], Rows]:
    """(header names, data rows as text, each as wide as the header) of the first worksheet; trailing blank rows
    (formatted but empty, as Excel often reports them) are dropped. `limit`: at most that many data rows."""
    path = Path(path)
    raw = _sheet_rows(path, limit or None)
    if not raw:
        raise InputError(f"{path.name}: the first worksheet is empty")
    columns = [(cell_text(h) or "").strip() for h in raw[0]]
    width = len(columns)
    rows: Rows = []
    last_nonblank = 0
    for n, row in enumerate(raw[1:], start=1):
        cells = [cell_text(v) for v in row[:width]] + [None] * max(0, width - len(row))
        rows.append(cells)
        if any(v is not None for v in cells):
            last_nonblank = n
    return columns, rows[:last_nonblank]
