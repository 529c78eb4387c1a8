"""`python -m recs models`: the registry's model names; `--trained` lists the stored runs; `delete --run ID`;
`evaluate --run ID --cutoff DATE` judges a run's parameters on a temporal split and keeps the figures beside it."""

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
    EVALUATE = auto()  # evaluate the stored run --run ID at --cutoff, keep its figures


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models", help="list the recommender models and the stored runs; delete a run",
        description="Print the registry's model names, one a line. With --trained, list the runs stored next to "
        "the database as CSV, newest first (run_id, name, model, status: current / stale / damaged, problem, "
        "trained_at, data, ...); a damaged run is listed with the reason. `models delete --run ID` deletes a "
        "stored run; `models evaluate --run ID --cutoff DATE` refits the run's model with its parameters on the "
        "lines before DATE, scores the next --horizon-days (both modes, as `python -m recs evaluate`), prints "
        "its rows as CSV and keeps the figures beside the run (shown by --trained and on the page).",
    )
    parser.add_argument("action", nargs="?", choices=list(Action), help="delete or evaluate the stored run given with --run")
    parser.add_argument("--trained", action="store_true", help="list the runs stored for --db")
    parser.add_argument("--describe", action="store_true", help="name, label and description as CSV")
    parser.add_argument("--run", default=None, metavar="ID", help="the run to delete or evaluate (see --trained)")
    parser.add_argument("--cutoff", default=None, metavar="DATE", help="evaluate: train strictly before this date")
    parser.add_argument("--horizon-days", type=int, default=30, help="evaluate: test window in days (default 30)")
    parser.add_argument("--k", type=int, default=10, help="evaluate: list length (default 10)")
    parser.add_argument("--quiet", action="store_true", help="evaluate: no progress or summary on stderr")
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

    if args.action is not None and not args.run:
        raise InputError(f"models {args.action} needs --run ID (see `python -m recs models --trained`)")
    if args.action == Action.EVALUATE:
        return _evaluate(args)
    if args.action == Action.DELETE:
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


def _evaluate(args: argparse.Namespace) -> int:
    """`models evaluate --run ID --cutoff DATE`: the run's rows of an evaluation, its figures kept beside it."""
    from recs import db
    from recs.commands._progress import StderrProgress, summary
    from recs.evaluation import evaluate_models
    from recs.models import store
    from recs.runs import evaluation_figures

    if not args.cutoff:
        raise InputError("models evaluate needs --cutoff DATE (train strictly before it, test the days after)")
    path = db_path(args)
    info = {r.run_id: r for r in store.list_runs(path)}.get(args.run)
    if info is None:
        raise InputError(f"no model run {args.run!r} for {path}: see `python -m recs models --trained`")
    if info.damaged:
        raise InputError(f"model run {args.run} is damaged: {info.problem}")
    con = db.connect(path, read_only=True)
    try:
        frame = evaluate_models(con, args.cutoff, horizon_days=args.horizon_days, k=args.k, models=[info.name],
                                params={info.name: dict(info.meta.get("params") or {})},
                                progress=StderrProgress(args.quiet))
    finally:
        con.close()
    write_csv(frame, "-")
    figures = evaluation_figures(frame, info.name, args.cutoff, args.horizon_days)
    if figures is not None:
        store.record_figures(path, args.run, figures)
    summary("-", f"{len(frame)} rows (run {args.run}, modes new and all); figures kept beside the run",
            args.quiet)
    return 0
