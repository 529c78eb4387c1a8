"""`python -m recs abtest`: per experiment, metric and variant the value, lift, 95% interval and p-value (CSV)."""

from __future__ import annotations

import argparse

from recs import db
from recs.commands._common import add_db_argument, add_out_argument, db_path, write_csv
from recs.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "abtest", help="A/B test results per experiment, metric and variant (CSV)",
        description="Lift, 95%% interval and p-value of every treatment against the control over a window of W "
                    "days after each customer's assignment. See docs/experiments.md.",
    )
    add_db_argument(parser)
    parser.add_argument("--experiment", default=None, help="experiment id (default: all experiments)")
    parser.add_argument("--window-days", type=int, default=30, help="days after assignment (default 30)")
    parser.add_argument("--pre-days", type=int, default=180,
                        help="days before assignment for CUPED's covariate (default 180)")
    parser.add_argument("--control", default=None, help='control variant (default: the one named "control")')
    add_out_argument(parser, required=True)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from recs.experiments.analyze import abtest_table
    from recs.experiments.data import check_days

    check_days(args.window_days, args.pre_days)
    path = db_path(args)
    if not path.exists():
        raise InputError(f"database not found: {path}")
    con = db.connect(path, read_only=True)
    try:
        if not db.has_schema(con):
            raise InputError(f"{path} is not a Repeat warehouse (no assignments table)")
        table = abtest_table(con, args.experiment, args.window_days, args.pre_days, args.control)
    finally:
        con.close()
    write_csv(table, args.out)
    return 0
