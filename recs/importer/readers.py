"""Reading an uploaded file (CSV, Parquet, XLSX) into a DuckDB staging table of text columns.

Every column is read as text first (ids such as "0042" keep their leading zeros) and cast later with
TRY_CAST, so bad values can be reported with their row numbers. Staged columns are named c0, c1, ...
(never the file's own names, which stay out of SQL); `Staged.columns` keeps the names from the header.
Row numbers follow the spreadsheet convention: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from recs.errors import InputError

DELIMITERS = (",", ";", "\t", "|")
_MAGIC = {b"PAR1": "parquet", b"PK\x03\x04": "xlsx"}
_EXT = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx",
        ".xlsm": "xlsx"}
FIRST_DATA_ROW = 2  # row number of the first data row (the header is row 1)


@dataclass
class Staged:
    """A file staged as a temp table: its header names (in order) and its row count."""

    table: str
    columns: list[str]
    rows: int
    file_type: str


def _head(path: Path, n: int = 8) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def sniff_type(path: str | Path) -> str:
    """'csv', 'parquet' or 'xlsx' from the file's first bytes, checked against its extension."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path.name}: file not found ({path})")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name}: the file is empty (0 bytes)")
    head = _head(path)
    by_content = next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(f"{path.name}: this is an old Excel .xls file; save it as .xlsx or CSV and try again")
    if by_content is None:
        with open(path, "rb") as fh:
            sample = fh.read(4096)
        if b"\x00" in sample:
            raise InputError(f"{path.name}: not a CSV, Parquet or Excel file (it contains binary data)")
        by_content = "csv"
    by_ext = _EXT.get(path.suffix.lower())
    if by_ext and by_ext != by_content:
        looks = {"csv": "text (CSV)", "parquet": "a Parquet file", "xlsx": "a zip archive"}[by_content]
        raise InputError(f"{path.name}: the extension says {by_ext.upper()} but the content looks like {looks}; "
                         "rename the file or export it again")
    return by_content


# ---------------------------------------------------------------- CSV

def _encoding(path: Path) -> str:
    """'utf-8' when the whole file decodes as UTF-8 (a BOM is fine), else 'latin-1'."""
    return scan_file(path)[1]


def scan_file(path: str | Path) -> tuple[str, str]:
    """(sha256 hex digest, 'utf-8' or 'latin-1') in one read of the file.

    The encoding is 'utf-8' when the whole file decodes as UTF-8 (a BOM is fine). Pure-ASCII chunks are
    skipped by the decoder (an ASCII chunk after a complete character always decodes), which is what keeps
    this pass cheap on a 1 GB export.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            if utf8 and not (chunk.isascii() and not decoder.getstate()[0]):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return digest.hexdigest(), "utf-8" if utf8 else "latin-1"


def _csv_header(path: Path, encoding: str) -> tuple[list[str], str, int]:
    """The header names, the delimiter (the candidate that splits the header into the most fields) and how many
    blank lines come before the header (skipped, as empty lines are everywhere else)."""
    with open(path, "rb") as fh:
        sample = fh.read(65536)
    text = sample.decode("utf-8-sig" if encoding == "utf-8" else "latin-1", errors="replace")
    lines = text.splitlines()
    skip = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    first = lines[skip] if skip < len(lines) else ""
    best, best_fields = ",", [first]
    for delim in DELIMITERS:
        fields = next(csv.reader(io.StringIO(first), delimiter=delim), [])
        if len(fields) > len(best_fields):
            best, best_fields = delim, fields
    return [f.strip() for f in best_fields], best, skip


def _csv_error(path: Path, exc: Exception) -> InputError:
    text = str(exc)
    line = None
    for part in text.splitlines():
        if part.startswith("CSV Error on Line:") or "Error on Line:" in part:
            line = part.rsplit(":", 1)[-1].strip()
    where = f"row {line}" if line else "a row"
    if "unterminated quote" in text:
        what = "a value opens a quote (\") that is never closed"
    elif "Expected Number of Columns" in text:
        detail = next((p.strip() for p in text.splitlines() if "Expected Number of Columns" in p), "")
        what = f"the row has a different number of fields than the header ({detail})"
    else:
        what = text.splitlines()[0] if text else "unreadable CSV"
    original = next((p.split(":", 1)[1].strip() for p in text.splitlines() if p.startswith("Original Line:")), "")
    shown = f": {original[:120]!r}" if original else ""
    return InputError(f"{path.name}: cannot read the CSV at {where} (all columns): {what}{shown}")


def _csv_relation(path: Path, encoding: str | None = None) -> tuple[list[str], str]:
    """The header names and a `read_csv(?, ...)` call (bind the path) giving text columns c0..cN in file order."""
    encoding = encoding or _encoding(path)
    columns, delim, skip = _csv_header(path, encoding)
    if not any(columns):
        raise InputError(f"{path.name}: the file has no header row (it is blank)")
    spec = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(columns)))
    # delimiter and encoding come from fixed allowlists; the path is a bound parameter
    if delim not in DELIMITERS or encoding not in ("utf-8", "latin-1"):  # never user text in the SQL below
        raise InputError(f"{path.name}: unsupported delimiter {delim!r} or encoding {encoding!r}")
    delim_sql = "\\t" if delim == "\t" else delim
    return columns, (f"read_csv(?, delim='{delim_sql}', quote='\"', escape='\"', header=true, auto_detect=false, "
                     f"strict_mode=true, encoding='{encoding}', skip={int(skip)}, columns={{{spec}}})")


def literal_path(path: str | Path) -> str:
    """`path` for DuckDB's file readers, which read `*`, `?` and `[` as glob patterns: each is put in brackets
    (`[[]`), so `orders [final].csv` is that one file, never also `orders f.csv` beside it."""
    return re.sub(r"([*?\[])", r"[\1]", str(path))


def cdnow_relation(path: Path) -> tuple[list[str], str]:
    """The CDNOW purchase log (whitespace-separated, no header: customer id, customer index, date YYYYMMDD, number of
    CDs, the line's dollar total) as text columns c0..c4 = order_id, customer_id, ordered_at, quantity, unit_price:
    one order per customer and day (as the CDNOW papers count purchases), ISO dates, the price of one CD. Values
    that do not fit stay as written, so validation names them with their rows. Bind the path (`literal_path`)."""
    parts = "string_split_regex(trim(line), '\\s+')"
    date = "p[3]"
    iso = (f"CASE WHEN regexp_matches({date}, '^[0-9]{{8}}$') THEN substr({date}, 1, 4) || '-' || "
           f"substr({date}, 5, 2) || '-' || substr({date}, 7, 2) ELSE {date} END")
    price = ("coalesce(CAST(TRY_CAST(p[5] AS DOUBLE) / nullif(TRY_CAST(p[4] AS DOUBLE), 0) AS VARCHAR), "
             "CASE WHEN TRY_CAST(p[4] AS DOUBLE) = 0 THEN '0' ELSE p[5] END)")
    relation = (f"(SELECT CASE WHEN len(p) = 5 THEN p[1] || '-' || p[3] END AS c0, p[1] AS c1, {iso} AS c2, "
                f"p[4] AS c3, {price} AS c4 FROM (SELECT CASE WHEN trim(line) <> '' THEN {parts} END AS p "
                "FROM read_csv(?, delim='|', quote='', escape='', header=false, auto_detect=false, "
                "columns={'line': 'VARCHAR'})))")
    return ["order_id", "customer_id", "ordered_at", "quantity", "unit_price"], relation


def read_error(path: Path, exc: Exception) -> Exception:
    """The InputError to raise for a failed read of `path` (the CSV reader's long text, shortened)."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return exc
    return _csv_error(path, exc)


def _stage_csv(con, path: Path, table: str, limit: int | None, encoding: str | None = None) -> tuple[list[str], int]:
    columns, relation = _csv_relation(path, encoding)
    sql = (f"CREATE OR REPLACE TEMP TABLE {table}_csv AS SELECT * FROM {relation}"
           + (f" LIMIT {int(limit)}" if limit else ""))
    try:
        con.execute(sql, [literal_path(path)])
    except duckdb.Error as exc:  # a long text from the CSV reader; keep the useful part
        raise read_error(path, exc) from exc
    # rowids are in file order but start at an offset inside a transaction: number rows from the minimum
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT CAST(rowid - (SELECT min(rowid) FROM {table}_csv) "
                f"+ {FIRST_DATA_ROW} AS BIGINT) AS _row, * FROM {table}_csv")
    con.execute(f"DROP TABLE {table}_csv")
    return columns, con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


# ---------------------------------------------------------------- Parquet and XLSX via Arrow

def _arrow_to_text_select(schema: pa.Schema) -> str:
    """SELECT list turning every Arrow column into text; integral floats lose their '.0' (17850.0 -> '17850')."""
    parts = []
    for i, fld in enumerate(schema):
        col = f"c{i}"
        if pa.types.is_floating(fld.type):
            parts.append(f"CASE WHEN {col} = trunc({col}) AND abs({col}) < 1e15 THEN CAST(CAST({col} AS BIGINT) "
                         f"AS VARCHAR) ELSE CAST({col} AS VARCHAR) END AS {col}")
        else:
            parts.append(f"CAST({col} AS VARCHAR) AS {col}")
    return ", ".join(parts) if parts else "NULL AS c0"


def _stage_arrow(con, arrow: pa.Table, table: str) -> None:
    import pyarrow.compute as pc

    arrow = arrow.rename_columns([f"c{i}" for i in range(arrow.num_columns)])
    for i, fld in enumerate(arrow.schema):  # time-zone-aware: keep the wall-clock time, as for text with an offset
        if pa.types.is_timestamp(fld.type) and fld.type.tz:
            arrow = arrow.set_column(i, fld.name, pc.local_timestamp(arrow.column(i)))
    select = _arrow_to_text_select(arrow.schema)
    arrow = arrow.append_column("_row", pa.array(range(FIRST_DATA_ROW, FIRST_DATA_ROW + arrow.num_rows), pa.int64()))
    view = f"{table}_arrow"
    con.register(view, arrow)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT _row, {select} FROM {view}")
    finally:
        con.unregister(view)


def _stage_parquet(con, path: Path, table: str, limit: int | None) -> tuple[list[str], int]:
    import pyarrow.parquet as pq

    try:
        if limit:
            pf = pq.ParquetFile(path)
            batch = next(pf.iter_batches(batch_size=limit), None)
            arrow = pa.Table.from_batches([batch]) if batch is not None else pf.schema_arrow.empty_table()
        else:
            arrow = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{path.name}: not a readable Parquet file ({exc})") from exc
    columns = [str(c).strip() for c in arrow.column_names]
    _stage_arrow(con, arrow, table)
    return columns, arrow.num_rows


def _stage_xlsx(con, path: Path, table: str, limit: int | None) -> tuple[list[str], int]:
    from recs.importer.xlsx import read_rows

    columns, rows = read_rows(path, limit)
    data = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    arrow = pa.table({f"c{i}": pa.array(list(col), pa.string()) for i, col in enumerate(data)})
    _stage_arrow(con, arrow, table)
    return columns, len(rows)


def stage_file(con, path: str | Path, table: str, limit: int | None = None, encoding: str | None = None) -> Staged:
    """Read `path` into the temp table `table` (`_row`, then text columns c0..cN); raise InputError on unreadable files.

    `encoding` ('utf-8' or 'latin-1', from `scan_file`) saves a read of a CSV when the caller already knows it.
    """
    path = Path(path)
    file_type = sniff_type(path)
    if file_type == "csv":
        columns, rows = _stage_csv(con, path, table, limit, encoding)
    else:
        columns, rows = {"parquet": _stage_parquet, "xlsx": _stage_xlsx}[file_type](con, path, table, limit)
    return Staged(table=table, columns=columns, rows=int(rows), file_type=file_type)


@dataclass
class Source:
    """Text rows of a file, ready to be read once: a `read_csv(?)` call (CSV, nothing staged) or the staged table
    (Parquet, XLSX). Columns are c0..cN in file order; `params` binds the relation's parameters."""

    path: Path
    relation: str
    params: list
    columns: list[str]
    file_type: str
    staged: Staged | None
    first_row: int = FIRST_DATA_ROW  # the row number of the first data row (1 for a file without a header)

    def execute(self, con, sql: str, params: list | None = None):
        """Run `sql`, which names `self.relation` once; a CSV reading error becomes an InputError."""
        try:
            return con.execute(sql, [*self.params, *(params or [])])
        except duckdb.Error as exc:
            if self.file_type != "csv":
                raise
            raise read_error(self.path, exc) from exc


def open_source(con, path: str | Path, table: str, encoding: str | None = None, fmt: str = "generic") -> Source:
    """A CSV as a `read_csv` relation (read later, in one pass, by the caller); other files staged into `table`.
    `fmt` "cdnow" reads the CDNOW purchase log (`cdnow_relation`)."""
    path = Path(path)
    file_type = sniff_type(path)
    if file_type == "csv":
        columns, relation = cdnow_relation(path) if fmt == "cdnow" else _csv_relation(path, encoding)
        return Source(path, relation, [literal_path(path)], columns, file_type, None, 1 if fmt == "cdnow" else
                      FIRST_DATA_ROW)
    if fmt == "cdnow":
        raise InputError(f"{path.name}: the cdnow layout is the CDNOW text log (whitespace-separated), not "
                         f"{file_type.upper()}")
    staged = stage_file(con, path, table)
    return Source(path, table, [], staged.columns, file_type, staged)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        name = name or f"column{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def preview_file(path: str | Path, n: int = 20, fmt: str = "generic") -> pd.DataFrame:
    """The first `n` data rows of a file, as text exactly as written (for the Data page); the CDNOW log (`fmt`
    "cdnow") as the columns it is read into."""
    con = duckdb.connect()
    try:
        if fmt == "cdnow":
            src = open_source(con, path, "_preview", fmt=fmt)
            frame = src.execute(con, f"SELECT * FROM {src.relation} LIMIT ?", [n]).df()
            frame.columns = src.columns
            return frame
        staged = stage_file(con, path, "_preview", limit=n)
        frame = con.execute("SELECT * EXCLUDE (_row) FROM _preview ORDER BY _row LIMIT ?", [n]).df()
    finally:
        con.close()
    frame.columns = _unique(staged.columns)
    return frame


def detect_columns(path: str | Path) -> list[str]:
    """The column names in a file's header, in order."""
    return list(preview_file(path, n=1).columns)
