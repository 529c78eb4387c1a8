"""`python -m recs models`: the registry's model names; `--trained` lists the stored runs; `delete --run ID`."""

from __future__ import annotations

import argparse
import sys
from enum import StrEnum, auto

from recs.commands._common import add_db_argument, db_path, write_csv
from recs.errors import InputError, RepeatError
from recs.models import REGISTRY, model_names


class Action(StrEnum):
    """What `models ACTION` does besides listing."""

    DELETE = auto()  # remove the stored run --run ID


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models", help="list the recommender models and the stored runs; delete a run",
        description="Print the registry's model names, one a line. With --trained, list the runs stored next to "
        "the database as CSV, newest first (run_id, name, model, status: current / stale / damaged, problem, "
        "trained_at, data, ...); a damaged run is listed with the reason. `models delete --run ID` deletes a "
        "stored run.",
    )
    parser.add_argument("action", nargs="?", choices=list(Action), help="remove the stored run given with --run")
    parser.add_argument("--trained", action="store_true", help="list the runs stored for --db")
    parser.add_argument("--describe", action="store_true", help="name, label and description as CSV")
    parser.add_argument("--run", default=None, metavar="ID", help="the run to delete (see --trained)")
    add_db_argument(parser)
    parser.set_defaults(func=run)


def _fingerprint(path) -> dict | None:
    """The data now, to mark runs current or stale; None (with a note) when the database cannot be read."""
    from recs import db
    from recs.training import data_fingerprint

    if not path.exists():
        return None
    try:
        con = db.connect(path, read_only=True)
    except RepeatError as exc:
        print(f"note: runs not checked against the data ({exc})", file=sys.stderr)
        return None
    try:
        return data_fingerprint(con) if db.has_orders(con) else None
    finally:
        con.close()


def run(args: argparse.Namespace) -> int:
    from recs.models import store

    if args.action == Action.DELETE:
        if not args.run:
            raise InputError("models delete needs --run ID (see `python -m recs models --trained`)")
        gone = store.delete_run(db_path(args), args.run)
        what = "damaged run" if gone.damaged else f"run of {gone.name}"
        print(f"deleted {what} {gone.run_id}" + (f" trained {gone.trained_at}" if gone.trained_at else ""))
    elif args.trained:
        path = db_path(args)
        runs = store.list_runs(path)
        frame = store.runs_frame(runs, _fingerprint(path))
        write_csv(frame, "-")
        counts = frame["status"].value_counts()
        print(f"{len(frame):,} stored run(s) for {path}" + "".join(f"; {n} {s}" for s, n in counts.items()),
              file=sys.stderr)
    elif args.describe:
        import pandas as pd

        rows = [{"name": n, "label": c.label, "description": c.description,
                 "params": ", ".join(f"{p}={s.default}" for p, s in c.params.items())} for n, c in REGISTRY.items()]
        write_csv(pd.DataFrame(rows), "-")
    else:
        for name in model_names():
            print(name)
    return 0
