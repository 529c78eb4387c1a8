"""`python -m recs metrics ...`: the managers' figures as CSV (the same functions the pages draw).

Sub-subcommands: summary, retention, repurchase, repeat_within, time_to_second, rfm.
Every one takes --db, --out (file or - for stdout), --start/--end (start <= time < end),
--country and --category. The file is `recs.metrics.csv_bytes`, the bytes the pages' download buttons serve;
each subcommand's help is its definition from the metric's metadata.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from recs import db, metrics
from recs.commands._common import add_db_argument, add_out_argument, db_path
from recs.errors import InputError
from recs.spark.choice import add_engine_arguments, choice_from_args
from recs.spark.engine import engine_for_command

NAMES = ("summary", "retention", "repurchase", "repeat_within", "time_to_second", "rfm")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "metrics", help="repurchase, retention, repeat-within-N, time to second order, RFM as CSV",
        description="Managers' metrics as CSV. Definitions: docs/metrics.md.",
    )
    subs = parser.add_subparsers(dest="metric", metavar="METRIC")
    for name in NAMES:
        meta = metrics.definition(name)
        sub = subs.add_parser(name, help=meta.title, description=f"{meta.title}: {meta.definition}. "
                              f"Columns: {', '.join(meta.column_names(['within_N', 'complete_N']))}. "
                              "See docs/metrics.md.")
        add_db_argument(sub)
        add_out_argument(sub)
        add_engine_arguments(sub)
        sub.add_argument("--start", help="first day counted, YYYY-MM-DD (orders with start <= time)")
        sub.add_argument("--end", help="first day NOT counted, YYYY-MM-DD (orders with time < end)")
        sub.add_argument("--country", help="only orders of this country")
        sub.add_argument("--category", help="only lines of products in this category (orders recomputed)")
        if name in ("retention", "repurchase", "repeat_within", "time_to_second"):
            sub.add_argument("--grain", default="month", help="month (calendar) or week (ISO, from Monday)")
        if name == "repeat_within":
            sub.add_argument("--days", default="30,60,90", help="comma-separated horizons in days (default 30,60,90)")
        if name == "rfm":
            sub.add_argument("--as-of", dest="as_of", help="date recency is measured to (default: the data's last day)")
        sub.set_defaults(func=run, metric=name)
    parser.set_defaults(func=_no_metric, metric=None)


def _no_metric(args: argparse.Namespace) -> int:
    raise InputError("name a metric: summary, retention, repurchase, repeat_within, time_to_second or rfm "
                     "(python -m recs metrics --help)")


def _filters(args: argparse.Namespace) -> metrics.Filters:
    return metrics.Filters(
        start=metrics.parse_date(args.start, "start"),
        end=metrics.parse_date(args.end, "end"),
        country=args.country or None,
        category=args.category or None,
    )


def _check_country(con, country: str | None) -> None:
    """Refuse a country the shop has no valid order from (a typo would otherwise give a table of zeros)."""
    if not country:
        return
    known = metrics.countries(con)
    if country not in known:
        shown = ", ".join(repr(c) for c in known[:40]) + (" ..." if len(known) > 40 else "")
        raise InputError(f"--country {country!r}: no valid order from that country in this shop; known countries: "
                         f"{shown or '(none: the shop has no country column)'}")


def compute(con, args: argparse.Namespace) -> pd.DataFrame:
    """The CSV table of `args.metric` with the contract's columns, in order."""
    filters = _filters(args)
    name = args.metric
    if name == "summary":
        return metrics.summary(con, filters)
    if name == "retention":
        return metrics.retention(con, metrics.check_grain(args.grain), filters)
    if name == "repurchase":
        return metrics.repurchase(con, metrics.check_grain(args.grain), filters)
    if name == "repeat_within":
        return metrics.repeat_within(con, metrics.parse_days(args.days), filters, metrics.check_grain(args.grain))
    if name == "time_to_second":
        return metrics.time_to_second(con, filters, metrics.check_grain(args.grain))
    if name == "rfm":
        return metrics.rfm(con, filters, metrics.parse_date(args.as_of, "as-of"))
    raise InputError(f"unknown metric {name!r}")


def run(args: argparse.Namespace) -> int:
    # validate every option before touching the database, so a typo is reported first
    _filters(args)
    if getattr(args, "grain", None) is not None:
        metrics.check_grain(args.grain)
    if getattr(args, "days", None) is not None:
        metrics.parse_days(args.days)
    choice = choice_from_args(args)
    if choice.is_spark:  # the same metric SQL, transpiled, on the lake (recs/spark); only the result comes back
        print(f"starting Spark on {choice.master} over the lake {choice.lake} ...", file=sys.stderr)
        with engine_for_command(choice.lake, choice.master) as engine:
            frame = compute(engine, args)
    else:
        path = db_path(args)
        con = db.connect(path, read_only=True)
        try:
            if not db.has_schema(con):
                raise InputError(f"{path} is not a Repeat database (no order_lines table); import orders first")
            _check_country(con, args.country)
            frame = compute(con, args)
        finally:
            con.close()
    data = metrics.csv_bytes(args.metric, frame)
    if args.out in (None, "-"):
        sys.stdout.write(data.decode("utf-8"))
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_bytes(data)
    return 0
