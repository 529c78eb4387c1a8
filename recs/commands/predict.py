"""`python -m recs predict`: per-customer forecasts, and `python -m recs predict backtest`: how right they are.

`predict --db DB [--until DATE] [--horizon-days 90] [--model best|bgnbd|learned] --out FILE|-` writes one row per
customer seen before the cutoff: customer_id, orders, p_alive, expected_orders, expected_revenue, clv_12m,
p_order_in_horizon, expected_next_order_at, churn_risk.
`predict backtest --db DB --until DATE [--horizon-days 90] --out FILE|-` writes one row per model (the naive
baselines included): model, customers, mae, rmse, total_ratio, revenue_ratio, auc, brier, fit_seconds.
See docs/predict.md.
"""

from __future__ import annotations

import argparse
import sys

from recs.commands._common import add_db_argument, add_out_argument, db_path, write_csv
from recs.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict", help="who comes back, when, and what they are worth (CSV); `predict backtest` judges it",
        description="Fit on orders strictly before --until (default: all data) and predict every customer for "
                    "the next --horizon-days days; with `backtest`, judge every model on the H days after --until. "
                    "See docs/predict.md.",
    )
    parser.add_argument("action", nargs="?", choices=["backtest"], default=None,
                        help="backtest: compare every model (and the naive baselines) with what happened")
    add_db_argument(parser)
    parser.add_argument("--until", default=None, metavar="DATE",
                        help="cutoff: fit on orders strictly before it (default: the day after the last order)")
    parser.add_argument("--horizon-days", default="90", metavar="H", help="days to predict (default 90)")
    parser.add_argument("--model", default="best", metavar="NAME",
                        help="best (default: the model the shop's own recent past prefers), bgnbd or learned")
    add_out_argument(parser, required=True)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # imported here so `python -m recs --help` and other commands never pay for the model stack
    from recs.db import connect, has_schema
    from recs.predict import CHOICES, backtest, forecast
    from recs.predict.data import check_horizon

    if args.model not in CHOICES:
        raise InputError(f"unknown model {args.model!r}; choose one of: {', '.join(CHOICES)}")
    horizon = check_horizon(args.horizon_days)
    if args.action == "backtest" and args.until is None:
        raise InputError("predict backtest needs --until DATE: the cutoff to predict from, with at least "
                         f"{horizon} days of orders after it to judge on")
    path = db_path(args)
    if not path.exists():
        raise InputError(f"database not found: {path}")
    import duckdb

    try:
        con = connect(path, read_only=True)
    except duckdb.Error as exc:
        raise InputError(f"cannot open {path} as a DuckDB database: {exc}") from exc
    try:
        if not has_schema(con):
            raise InputError(f"{path} is not a Repeat database (its order tables are missing)")
        print("fitting…", file=sys.stderr)
        if args.action == "backtest":
            result = backtest(con, args.until, horizon)
            table = result.table
            print(f"backtest from {result.cutoff:%Y-%m-%d} over {horizon} days: best chose {result.best_choice}",
                  file=sys.stderr)
        else:
            result = forecast(con, args.until, horizon, args.model)
            table = result.frame
            print(f"{len(table):,} customers predicted from {result.cutoff:%Y-%m-%d} for {horizon} days with "
                  f"{result.used} ({result.fit_seconds:.1f} s)", file=sys.stderr)
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
    finally:
        con.close()
    write_csv(table, args.out)
    return 0
