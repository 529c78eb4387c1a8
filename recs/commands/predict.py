"""`python -m recs predict`: per-customer forecasts, and `python -m recs predict backtest`: how right they are.

`predict --db DB [--until DATE] [--horizon-days 90] [--model best|bgnbd|learned] --out FILE|-` writes one row per
customer seen before the cutoff: customer_id, orders, p_alive, expected_orders, expected_revenue, clv_12m,
p_order_in_horizon, expected_next_order_at, churn_risk.
`predict backtest --db DB --until DATE [--horizon-days 90] --out FILE|-` writes one row per model (the naive
baselines included): model, customers, mae, rmse, total_ratio, revenue_ratio, auc, brier, fit_seconds.
`predict refresh --db DB [--force]` computes and stores everything the pages show (after an import, from a
scheduler), progress on stderr. A forecast on all data and the backtest on the last H days are stored on the way
too (`<db>.models/predictions/`, recs/predict/store.py). See docs/predict.md.
"""

from __future__ import annotations

import argparse
import sys

from recs.commands._common import add_db_argument, db_path, write_csv
from recs.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict", help="who comes back, when, and what they are worth (CSV); `predict backtest` judges it",
        description="Fit on orders strictly before --until (default: all data) and predict every customer for "
                    "the next --horizon-days days; with `backtest`, judge every model on the H days after --until; "
                    "with `refresh`, compute and store the forecasts, backtests and re-buy list the pages show "
                    "(beside the database, in <db>.models/predictions/). See docs/predict.md.",
    )
    parser.add_argument("action", nargs="?", choices=["backtest", "refresh"], default=None,
                        help="backtest: compare every model (and the naive baselines) with what happened; refresh: "
                             "compute and store what the pages show")
    add_db_argument(parser)
    parser.add_argument("--until", default=None, metavar="DATE",
                        help="cutoff: fit on orders strictly before it (default: the day after the last order)")
    parser.add_argument("--horizon-days", default="90", metavar="H", help="days to predict (default 90)")
    parser.add_argument("--model", default="best", metavar="NAME",
                        help="best (default: the model the shop's own recent past prefers), bgnbd or learned")
    parser.add_argument("--force", action="store_true",
                        help="refresh: recompute every item, even those already stored for the data as it is now")
    parser.add_argument("--out", default=None, help="output CSV file, or - for standard output (not for refresh)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # imported here so `python -m recs --help` and other commands never pay for the model stack
    from recs.predict import CHOICES
    from recs.predict.data import check_horizon

    if args.model not in CHOICES:
        raise InputError(f"unknown model {args.model!r}; choose one of: {', '.join(CHOICES)}")
    horizon = check_horizon(args.horizon_days)
    if args.action == "backtest" and args.until is None:
        raise InputError("predict backtest needs --until DATE: the cutoff to predict from, with at least "
                         f"{horizon} days of orders after it to judge on")
    if args.action == "refresh" and (args.until is not None or args.out is not None):
        raise InputError("predict refresh stores what the pages show, on all data: it takes no --until or --out "
                         "(use `predict --until DATE --out FILE` for a forecast from another cutoff)")
    if args.action != "refresh" and args.out is None:
        raise InputError("predict needs --out FILE (or - for standard output)")
    path = db_path(args)
    if not path.exists():
        raise InputError(f"database not found: {path}")
    import duckdb

    from recs.db import connect, has_schema

    try:
        con = connect(path, read_only=True)
    except duckdb.Error as exc:
        raise InputError(f"cannot open {path} as a DuckDB database: {exc}") from exc
    try:
        if not has_schema(con):
            raise InputError(f"{path} is not a Repeat database (its order tables are missing)")
        if args.action == "refresh":
            return _refresh(con, path, args.force)
        table, notes = _predict(con, path, args, horizon)
    finally:
        con.close()
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    write_csv(table, args.out)
    return 0


def _predict(con, path, args: argparse.Namespace, horizon: int):
    """The forecast or the backtest asked for, stored on the way when it is one the pages show (all data; the
    backtest on the last H days)."""
    import pandas as pd

    from recs.predict import backtest, forecast
    from recs.predict.data import ShopData, default_cutoff
    from recs.predict.refresh import current_fingerprint

    shop = ShopData(con)
    print("fitting…", file=sys.stderr)
    if args.action == "backtest":
        result = backtest(con, args.until, horizon, shop=shop)
        print(f"backtest from {result.cutoff:%Y-%m-%d} over {horizon} days: best chose {result.best_choice}",
              file=sys.stderr)
        shown = result.cutoff == default_cutoff(shop) - pd.Timedelta(days=horizon)
        _store(path, current_fingerprint(con), ("backtest", horizon, ""), result, shown)
        return result.table, result.notes
    result = forecast(con, args.until, horizon, args.model, shop=shop)
    print(f"{len(result.frame):,} customers predicted from {result.cutoff:%Y-%m-%d} for {horizon} days with "
          f"{result.used} ({result.fit_seconds:.1f} s)", file=sys.stderr)
    _store(path, current_fingerprint(con), ("forecast", horizon, args.model), result,
           result.cutoff == default_cutoff(shop))
    return result.frame, result.notes


def _store(path, fingerprint, item: tuple, value, wanted: bool) -> None:
    """Keep a result the pages show beside the database; a folder that cannot be written is only a note."""
    if not wanted:
        return
    from recs.predict.store import Item, save

    try:
        save(path, fingerprint, Item(*item), value=value)
    except OSError as exc:
        print(f"note: not stored for the pages ({exc})", file=sys.stderr)


def _refresh(con, path, force: bool) -> int:
    """`predict refresh`: every item the pages show, most needed first, progress on stderr."""
    import time

    from recs.predict.refresh import DEFAULT_FORECAST, current_fingerprint, refresh_predictions
    from recs.predict.store import version_dir

    started = time.perf_counter()

    def progress(i: int, n: int, item) -> None:
        print(f"[{i + 1}/{n}] {item.describe()}…", file=sys.stderr, flush=True)

    def done(outcome) -> None:
        said = ("already stored" if not outcome.computed else f"{outcome.seconds:.1f} s") + (
            f"; not possible: {outcome.error}" if outcome.error else "")
        print(f"      {said}" + (f"; {outcome.problem}" if outcome.problem else ""), file=sys.stderr)

    fingerprint = current_fingerprint(con)
    outcomes = refresh_predictions(con, path, fingerprint=fingerprint, force=force, progress=progress, done=done)
    computed = sum(o.computed for o in outcomes)
    print(f"{computed} of {len(outcomes)} computed ({len(outcomes) - computed} already stored) in "
          f"{time.perf_counter() - started:.1f} s; stored in {version_dir(path, fingerprint)}", file=sys.stderr)
    main = next(o for o in outcomes if o.item == DEFAULT_FORECAST)
    if main.error:
        raise InputError(main.error)
    problems = [o.problem for o in outcomes if o.problem]
    if problems:
        raise InputError(f"the predictions could not be stored: {problems[0]}")
    return 0
