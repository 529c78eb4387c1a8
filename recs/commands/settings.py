"""`python -m recs settings`: show or change the shop's settings stored in its DuckDB file (recs.settings)."""

from __future__ import annotations

import argparse

from recs.commands._common import add_db_argument, db_path
from recs.db import connect
from recs.settings import DEFAULT_MIN_COHORT, load_settings, save_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "settings", help="show or change the shop's currency and minimum cohort size",
        description="Show the shop's settings, or change them with the options below. They are stored in the "
                    "shop's own DuckDB file; pages show money in the currency and grey cohorts smaller than the "
                    "minimum. CSV files keep plain numbers. See docs/metrics.md, 'Shop settings'.",
    )
    add_db_argument(parser)
    parser.add_argument("--currency", help="three-letter ISO code such as GBP, USD, EUR; 'none' for no currency "
                                           "(default: from the data where its source is known)")
    parser.add_argument("--min-cohort", dest="min_cohort",
                        help=f"smallest cohort (customers) shown in full and picked by default "
                             f"(default {DEFAULT_MIN_COHORT})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    changing = args.currency is not None or args.min_cohort is not None
    con = connect(db_path(args), read_only=not changing)
    try:
        if changing:
            kwargs = {"min_cohort": args.min_cohort}
            if args.currency is not None:
                kwargs["currency"] = args.currency
            shown = save_settings(con, **kwargs)
        else:
            shown = load_settings(con)
    finally:
        con.close()
    print("\n".join(shown.describe()))
    return 0
