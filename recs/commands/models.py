"""`python -m recs models`: the registry's model names, one a line; `--trained` lists stored models."""

from __future__ import annotations

import argparse

from recs.commands._common import add_db_argument, db_path, write_csv
from recs.models import REGISTRY, model_names
from recs.models.store import list_models


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models", help="list the recommender models",
        description="Print the registry's model names, one a line. With --trained, list the models stored next "
        "to the database as CSV (name, model, trained_at, train_cutoff, ...).",
    )
    parser.add_argument("--trained", action="store_true", help="list trained models stored for --db")
    parser.add_argument("--describe", action="store_true", help="name, label and description as CSV")
    add_db_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.trained:
        write_csv(list_models(db_path(args)), "-")
    elif args.describe:
        import pandas as pd

        rows = [{"name": n, "label": c.label, "description": c.description,
                 "params": ", ".join(f"{p}={s.default}" for p, s in c.params.items())} for n, c in REGISTRY.items()]
        write_csv(pd.DataFrame(rows), "-")
    else:
        for name in model_names():
            print(name)
    return 0
