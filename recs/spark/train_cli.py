"""`python -m recs train --engine spark --lake PATH --model als`: the train command's Spark path.

recs/commands/train.py owns the command and its options; it hands over here when `--engine spark` is given.
"""

from __future__ import annotations

import argparse
import sys

from recs.commands._common import db_path
from recs.errors import InputError
from recs.spark.als import train_spark_als
from recs.spark.choice import choice_from_args
from recs.spark.engine import engine_for_command
from recs.training import parse_params

SPARK_MODELS = ("als",)


def run_spark_train(args: argparse.Namespace) -> int:
    """Train the model named by `args.model` on Spark over `args.lake` and store it beside `--db`."""
    choice = choice_from_args(args)
    if args.model not in SPARK_MODELS:
        raise InputError(f"--engine spark trains {', '.join(SPARK_MODELS)} (Spark MLlib), not {args.model!r}; "
                         "train other models with the DuckDB engine")
    params = parse_params(args.param)
    quiet = getattr(args, "quiet", False)

    def progress(fraction: float, message: str) -> None:
        if not quiet:
            print(f"\r{fraction:5.0%} {message:<60}", end="", file=sys.stderr, flush=True)

    if not quiet:
        print(f"starting Spark on {choice.master} over the lake {choice.lake} ...", file=sys.stderr)
    with engine_for_command(choice.lake, choice.master) as engine:
        run = train_spark_als(engine, db_path(args), params=params, until=args.train_until,
                              weighting=args.weighting, progress=progress, half_life_days=args.half_life_days)
    if not quiet:
        print(file=sys.stderr)
    print(f"trained {run.model.name} on Spark ({choice.master}) on {run.customers:,} customers x {run.products:,} "
          f"products ({run.interactions:,} interactions, data before {run.train_cutoff[:10]}) in "
          f"{run.fit_seconds:.2f} s; weighting {run.weighting}; params {run.params}")
    print(f"stored as run {run.run_id} in {run.path}")
    return 0
