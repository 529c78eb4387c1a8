"""`python -m recs evaluate`: compare recommenders on a temporal split, one CSV row per (model, mode).

Columns: model, mode (new | all), k, precision, recall, ndcg, map, hit_rate, coverage, novelty, diversity,
customers, fit_seconds, note (why a row is blank; definitions in docs/models.md). Progress and a one-line summary
(rows, the best model per mode) go to standard error. `--gaps FILE` also writes each model's paired NDCG gap
to the best model of its mode with a 95 % interval and a verdict (`recs.evaluation.compare_to_best`).
Without `--tune`, each model's figures are also kept beside its stored runs that are current and were trained with
the parameters and weighting evaluated (its defaults), so `models --trained` and the Recommendations page's table of
runs show them (`python -m recs models evaluate --run ID` evaluates one run with its own parameters).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recs import db
from recs.commands._common import add_db_argument, add_out_argument, db_path, write_csv
from recs.commands._progress import StderrProgress, summary
from recs.errors import InputError, RepeatError

if TYPE_CHECKING:  # the CLI imports every command at start: pandas only when evaluating
    import pandas as pd


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="compare recommenders on a temporal split (CSV)",
        description="Train each model on valid lines before --cutoff and score its top-k lists on the next "
        "--horizon-days, in two modes: 'new' (only products the customer had not bought count; purchased ones "
        "are excluded) and 'all' (re-buys count).",
    )
    add_db_argument(parser)
    parser.add_argument("--cutoff", required=True, help="train strictly before this date (YYYY-MM-DD)")
    parser.add_argument("--horizon-days", type=int, default=30, help="test window length in days (default 30)")
    parser.add_argument("--k", type=int, default=10, help="list length (default 10)")
    parser.add_argument("--models", default=None, help="comma-separated model names (default: every model)")
    parser.add_argument("--tune", action="store_true",
                        help="pick each model's parameters on a validation window before the cutoff first")
    parser.add_argument("--gaps", default=None, metavar="FILE",
                        help="also write each model's NDCG gap to the best with its 95%% interval (CSV; '-' for "
                        "standard output when --out is a file)")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary on standard error")
    add_out_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from recs.evaluation import best_models, blank_notes, evaluate_models

    path = db_path(args)
    if not path.exists():
        raise InputError(f"database not found: {path}")
    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    if args.gaps is not None and args.gaps == "-" and args.out in (None, "-"):
        raise InputError("--gaps - and --out - would both write to standard output: give one of them a file")
    con = db.connect(path)
    per_customer: dict | None = {} if args.gaps is not None else None
    try:
        table = evaluate_models(con, args.cutoff, horizon_days=args.horizon_days, k=args.k, models=models,
                                tune=args.tune, progress=StderrProgress(args.quiet), per_customer=per_customer)
        kept = [] if args.tune else keep_figures_on_runs(con, path, table, args.cutoff, args.horizon_days)
    finally:
        con.close()
    write_csv(table, args.out)
    for note in blank_notes(table):
        print(f"note: blank figures: {note}", file=sys.stderr)
    best = ", ".join(f"best {mode}: {name or 'none'}" for mode, name in best_models(table).items())
    summary(args.out, f"{len(table):,} rows ({table['model'].nunique()} models x {table['mode'].nunique()} modes, "
                      f"k {args.k}); {best}", args.quiet)
    if kept and not args.quiet:
        print(f"figures kept beside {len(kept)} stored run(s) trained with these parameters: {', '.join(kept)}",
              file=sys.stderr)
    if per_customer is not None:
        from recs.evaluation import compare_to_best

        gaps = compare_to_best(per_customer)
        write_csv(gaps, args.gaps)
        summary(args.gaps, f"{len(gaps):,} rows of NDCG gaps to the best model", args.quiet)
    return 0


def keep_figures_on_runs(con: Any, db_file: Path, table: pd.DataFrame, cutoff: str, horizon_days: int) -> list[str]:
    """Record each evaluated model's figures beside its current stored runs trained with its default parameters
    and weighting (what an evaluation without tuning fits); returns the run ids. A run with other parameters was
    not what was evaluated, so it keeps its own figures."""
    from recs.models import get_class, store
    from recs.runs import evaluation_figures
    from recs.training import current_runs

    kept: list[str] = []
    for name in dict.fromkeys(table["model"]):
        figures = evaluation_figures(table, name, cutoff, horizon_days)
        if figures is None:
            continue
        cls = get_class(name)
        defaults = _comparable(cls().get_params())
        for info in current_runs(con, db_file, name=name):
            same = (_comparable(info.meta.get("params") or {}) == defaults
                    and info.meta.get("weighting") == getattr(cls, "default_weighting", "binary"))
            if same:
                try:
                    store.record_figures(db_file, info.run_id, figures)
                except RepeatError:  # deleted meanwhile
                    continue
                kept.append(info.run_id)
    return kept


def _comparable(params: dict[str, Any]) -> str:
    """Parameters as JSON with numbers as floats (a stored 365 and a default 365.0 are the same setting)."""
    def norm(value: Any) -> Any:
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    return json.dumps({key: norm(value) for key, value in params.items()}, sort_keys=True, default=str)
