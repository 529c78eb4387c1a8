"""Arguments and output helpers shared by subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from recs.db import default_db_path
from recs.spreadsheet import neutralise_formulas


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, default=None,
        help="DuckDB warehouse file (default: $REPEAT_DB or data/demo.duckdb)",
    )


def db_path(args: argparse.Namespace) -> Path:
    return args.db if args.db is not None else default_db_path()


def add_out_argument(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument("--out", default="-" if not required else None, required=required,
                        help="output CSV file, or - for standard output")


def write_csv(frame: pd.DataFrame, out: str | None) -> None:
    """Write a result table as CSV (header, no index) to a file or standard output ('-'); text cells a spreadsheet
    would run as a formula are neutralised (recs.spreadsheet)."""
    frame = neutralise_formulas(frame)
    if out in (None, "-"):
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False, lineterminator="\n")
