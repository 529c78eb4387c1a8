"""`python -m recs train --db DB --model NAME [--param k=v ...] [--train-until DATE] [--weighting W]`."""

from __future__ import annotations

import argparse
import sys

from recs import db
from recs.commands._common import add_db_argument, db_path
from recs.errors import InputError
from recs.interactions import WEIGHTINGS
from recs.spark.choice import add_engine_arguments
from recs.training import parse_params, train_model


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train a recommender and store it as a new run next to the database",
        description="Train one registry model on valid purchases (strictly before --train-until when given) and "
        "store it as a new run in <db>.models/runs/ beside the earlier runs (list them with `python -m recs models "
        "--trained`). A failed training stores nothing and leaves every earlier run in place.",
    )
    add_db_argument(parser)
    parser.add_argument("--model", required=True, help="registry name (see `python -m recs models`)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="model parameter, repeatable (e.g. --param neighbors=50)")
    parser.add_argument("--train-until", default=None, metavar="DATE", help="train on lines strictly before DATE")
    parser.add_argument("--weighting", choices=WEIGHTINGS, default=None,
                        help="interaction weighting (default: the model's own)")
    parser.add_argument("--half-life-days", type=float, default=90.0, help="half-life for --weighting recency")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_engine_arguments(parser)  # --engine spark --lake PATH: Spark MLlib ALS on a lake (recs/spark/train_cli.py)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "engine", "duckdb") == "spark":
        from recs.spark.train_cli import run_spark_train

        return run_spark_train(args)
    path = db_path(args)
    if not path.exists():
        raise InputError(f"database not found: {path}")
    params = parse_params(args.param)
    con = db.connect(path)
    try:
        if not db.has_orders(con):
            raise InputError(f"database {path} has no valid orders: import some first")

        def progress(fraction: float, message: str) -> None:
            if not args.quiet:
                print(f"\r{fraction:5.0%} {message:<60}", end="", file=sys.stderr, flush=True)

        run = train_model(con, path, args.model, params=params, until=args.train_until, weighting=args.weighting,
                          progress=progress, half_life_days=args.half_life_days)
    finally:
        con.close()
    if not args.quiet:
        print(file=sys.stderr)
    print(f"trained {run.model.name} on {run.customers:,} customers x {run.products:,} products "
          f"({run.interactions:,} interactions, data before {run.train_cutoff[:10]}) in "
          f"{run.fit_seconds:.2f} s; weighting {run.weighting}; params {run.params}")
    print(f"stored as run {run.run_id} in {run.path}")
    return 0
