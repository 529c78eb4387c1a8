"""`python -m recs import`: load order lines, assignments and/or products from CSV, Parquet or XLSX files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from recs.commands._common import add_db_argument, db_path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import orders, experiment assignments or products (CSV, Parquet, XLSX)",
        description="Import shop data into the warehouse in one transaction: any error leaves the database "
                    "unchanged, and a new --db path that fails is removed again. A file whose rows are already in the "
                    "shop (the same bytes, or the same rows re-saved with other line endings, a BOM or in another "
                    "order) is skipped unless --replace is given. File paths are literal (no glob patterns). "
                    "See docs/data-format.md for the columns each file needs, docs/shops.md for shops.",
    )
    add_db_argument(parser)
    parser.add_argument("--orders", type=Path, metavar="FILE", help="order lines file (.csv, .parquet or .xlsx)")
    parser.add_argument("--format", dest="fmt", choices=("generic", "online-retail", "cdnow"), default="generic",
                        help="layout of the orders file (default: generic; cdnow: the CDNOW purchase log, "
                             "whitespace-separated, no header; see docs/data-format.md)")
    parser.add_argument("--assignments", type=Path, metavar="FILE",
                        help="A/B test assignments file: experiment_id, customer_id, variant, assigned_at")
    parser.add_argument("--products", type=Path, metavar="FILE",
                        help="products file: product_id, name, category[, is_product, in_stock]")
    parser.add_argument("--replace", action="store_true",
                        help="load a file again even if it was imported before, replacing that import's rows")
    parser.add_argument("--spool", type=Path, nargs="?", const=Path(""), metavar="DIR",
                        help="move the orders and assignments posted to the API service (its spool folder, "
                             "default <db>.spool) into the warehouse, then remove the spool files fully in it; "
                             "see docs/api.md")
    parser.add_argument("--spool-archive", type=Path, default=None, metavar="DIR",
                        help="move the spool files imported by --spool into DIR instead of removing them")
    parser.add_argument("--quiet", action="store_true", help="print the reports only, no progress")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from recs.errors import InputError
    from recs.shops import import_into

    if args.spool is not None:  # the service's spool: its own one-transaction import (recs.service.spool_import)
        return _import_spool(args)
    if args.orders is None and args.assignments is None and args.products is None:
        raise InputError("nothing to import: give --orders, --assignments, --products and/or --spool")
    last = [-1]

    def progress(fraction: float, message: str) -> None:
        pct = int(fraction * 100)
        if not args.quiet and pct // 10 != last[0] // 10:
            print(f"[{pct:3d}%] {message}", file=sys.stderr)
            last[0] = pct

    # a new database path that fails is removed again: a failed import leaves no file behind
    reports = import_into(db_path(args), orders=args.orders, assignments=args.assignments, products=args.products,
                          fmt=args.fmt, replace=args.replace, progress=progress)
    for report in reports:
        print(report.to_text())
    return 0


def _import_spool(args: argparse.Namespace) -> int:
    from recs.db import connect
    from recs.errors import InputError
    from recs.service.spool_import import import_spool

    if args.orders is not None or args.assignments is not None or args.products is not None:
        raise InputError("--spool is imported on its own: run the file imports separately")
    con = connect(db_path(args))
    try:
        from recs.service.spool import default_spool_dir

        folder = args.spool if str(args.spool) not in ("", ".") else default_spool_dir(db_path(args))
        print(import_spool(con, folder, archive=args.spool_archive).to_text())
    finally:
        con.close()
    return 0
