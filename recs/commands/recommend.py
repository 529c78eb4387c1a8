"""`python -m recs recommend`: a campaign list CSV (customer_id, rank, product_id, score, product_name, reason).

The model is trained on the fly on valid lines strictly before --train-until (all data by default), with its
default parameters or those given with --param / --weighting (or a stored run with --run). The campaign intent
(--intent rebuy | discovery) defaults to what fits the model. Progress goes to standard error for work over two
seconds, then one line saying what was written. A list in which no customer got any product (e.g. discovery on
a one-product shop) is an error (exit 2, nothing written) naming why; customers who alone got none are counted
in a note.
"""

from __future__ import annotations

import argparse
import sys

from recs.commands._common import add_db_argument, add_out_argument, db_path, write_csv
from recs.commands._progress import StderrProgress, summary
from recs.errors import InputError
from recs.interactions import WEIGHTINGS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "recommend",
        help="campaign list: top-K products per customer as CSV",
        description="Train a model and write the top-K recommendations for every customer seen before the "
                    "cutoff (or one RFM segment). Columns: customer_id, rank, product_id, score, product_name, "
                    "reason.",
    )
    add_db_argument(parser)
    parser.add_argument("--model", default=None, help="model name (see `python -m recs models`), trained on the fly")
    parser.add_argument("--run", default=None, metavar="ID",
                        help="use this stored run instead of training (see `python -m recs models --trained`)")
    parser.add_argument("--allow-stale", action="store_true",
                        help="export from a stored run (--run) even when it was trained before the data changed")
    parser.add_argument("--k", default="10", help="recommendations per customer (default 10)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="model parameter, repeatable (e.g. --param neighbors=50); see `recs models`")
    parser.add_argument("--weighting", default=None, choices=WEIGHTINGS,
                        help="how purchases are weighted (default: the model's own)")
    parser.add_argument("--train-until", default=None, metavar="DATE",
                        help="train on lines strictly before this date (default: all data)")
    parser.add_argument("--intent", default=None, choices=["rebuy", "discovery"],
                        help="campaign intent: rebuy (products the customer bought may come back) or discovery "
                             "(only products they have not bought); default: what fits the model (rebuy for "
                             "repeat and hybrid, discovery for the others)")
    parser.add_argument("--include-purchased", action="store_true",
                        help="the same as --intent rebuy")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary on standard error")
    parser.add_argument("--segment", default=None, help="only customers of this RFM segment (e.g. 'At risk')")
    parser.add_argument("--audience", default=None, metavar="NAME",
                        help="only customers of a predicted audience: 'win-back: high value at risk' or 'due to "
                             "re-buy' (the due product first); see docs/predict.md")
    parser.add_argument("--holdout", default=None, metavar="SHARE",
                        help="hold out this share of customers as a control group (0 < SHARE < 1)")
    parser.add_argument("--experiment", default=None, metavar="ID",
                        help="experiment id under which the holdout assignments are recorded")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the holdout draw (default 0)")
    add_out_argument(parser)
    parser.set_defaults(func=run)


def _check_segment(segment: str | None) -> None:
    if segment is None:
        return
    from recs.metrics import segment_names

    known = list(segment_names())
    if segment not in known:
        raise InputError(f"unknown segment {segment!r}; known segments: {', '.join(known)}")


def run(args: argparse.Namespace) -> int:
    # imported here so `python -m recs --help` and other commands never pay for (or break on) the model stack
    from recs.db import connect
    from recs.export import campaign_list, check_holdout, check_k, check_orders, fit_model
    from recs.interactions import to_timestamp
    from recs.models import get_model
    from recs.rules import REBUY, Rules, default_intent, with_intent
    from recs.training import parse_params

    k = check_k(args.k)
    if args.include_purchased and args.intent not in (None, REBUY):
        raise InputError("--include-purchased means --intent rebuy: give one of them")
    if args.experiment is not None and args.holdout is None:
        raise InputError("--experiment is only used with --holdout SHARE")
    share, experiment = check_holdout(args.holdout, args.experiment)
    if (args.model is None) == (args.run is None):
        raise InputError("give either --model NAME (trained on the fly) or --run ID (a stored run)")
    if args.model is not None:
        get_model(args.model, **parse_params(args.param))  # unknown name or parameter -> InputError, before any work
    if args.audience is not None:  # a predicted audience travels as the campaign's segment (recs/export.py)
        from recs.predict.report import AUDIENCES

        if args.segment is not None:
            raise InputError("choose either --segment or --audience, not both")
        if args.audience not in AUDIENCES:
            raise InputError(f"unknown audience {args.audience!r}; known audiences: {', '.join(AUDIENCES)}")
        args.segment = args.audience
    else:
        _check_segment(args.segment)
    until = to_timestamp(args.train_until, "--train-until")
    path = db_path(args)
    if not path.exists():
        raise InputError(f"database not found: {path}")
    import duckdb

    try:
        con = connect(path, read_only=share is None)  # a holdout records assignments
    except duckdb.Error as exc:  # e.g. a CSV or text file passed as --db
        raise InputError(f"cannot open {path} as a DuckDB database: {exc}") from exc
    progress = StderrProgress(args.quiet)
    try:
        if args.run is not None:  # a stored run: its own model, settings and cutoff; refused when stale
            from recs.model_choice import run_for_export

            stored = run_for_export(con, path, args.run, allow_stale=args.allow_stale)
            model, until = stored.model, stored.until
        else:
            check_orders(con, until)
            model = fit_model(con, args.model, params=parse_params(args.param), until=until,
                              weighting=args.weighting, progress=progress).model
        intent = REBUY if args.include_purchased else (args.intent or default_intent(model))
        rules = with_intent(Rules(), intent)
        campaign = campaign_list(con, model, k=k, rules=rules, segment=args.segment, holdout=share,
                                 experiment_id=experiment, seed=args.seed, cutoff=until, progress=progress)
    finally:
        con.close()
    if campaign.customers and not campaign.rows:  # a header-only file would look like success to a script
        recorded = (f" (the {campaign.held_out:,} control customers of experiment {experiment!r} are recorded)"
                    if share is not None else "")
        raise InputError(f"no recommendations for any of the {campaign.customers:,} customers, nothing written: "
                         f"{campaign.empty_reason}{recorded}")
    write_csv(campaign.frame, args.out)
    if campaign.without:
        print(f"note: {campaign.without:,} of {campaign.customers:,} customers got no product: "
              f"{campaign.empty_reason}", file=sys.stderr)
    if campaign.customers == 0:
        who = f"in segment {args.segment!r}" if args.segment else "seen before the cutoff"
        print(f"note: no customers {who}: the file has only its header", file=sys.stderr)
    if share is not None:
        total = campaign.customers + campaign.held_out
        print(f"held out {campaign.held_out:,} of {total:,} customers as the control group of experiment "
              f"{experiment!r} (recorded in assignments, left out of the file)", file=sys.stderr)
    summary(args.out, f"{campaign.rows:,} rows for {campaign.customers:,} customers (up to {k} each), model "
                      f"{model.name}, {intent} campaign", args.quiet)
    return 0
