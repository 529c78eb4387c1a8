"""`python -m recs export-lake --db DB --out PATH`: the warehouse tables a metric reads, as Parquet by month.

The lake is what `--engine spark --lake PATH` reads (metrics, train); see docs/scale-out.md.
"""

from __future__ import annotations

import argparse
import sys
import time

from recs import db
from recs.commands._common import add_db_argument, db_path
from recs.spark.lake import export_lake


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export-lake", help="write order lines, orders and products as Parquet partitioned by month (for Spark)",
        description="Write the warehouse tables a metric reads (order lines with their status, orders, products) "
                    "as Parquet partitioned by month: PATH/order_lines/month=YYYY-MM/..., PATH/orders/..., "
                    "PATH/products/products.parquet and PATH/repeat-lake.json. See docs/scale-out.md.",
    )
    add_db_argument(parser)
    parser.add_argument("--out", required=True, help="the lake folder to write (replaced if it is an earlier lake)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    con = db.connect(db_path(args), read_only=True)
    try:
        manifest = export_lake(con, args.out)
    finally:
        con.close()
    rows = ", ".join(f"{t} {info['rows']:,}" for t, info in manifest["tables"].items())
    print(f"lake written to {args.out} ({rows}) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0
