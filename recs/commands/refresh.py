"""`python -m recs refresh`: retrain the model the API service serves, in full, for a scheduler (cron, systemd).

The running service switches to the new run by itself (hot swap). With --if-drift X it retrains only when the
warehouse has grown by at least X (a share of valid lines) since the served model was trained.
"""

from __future__ import annotations

import argparse
import sys

from recs.commands._common import add_db_argument, db_path
from recs.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "refresh", help="retrain the model the API service serves (for a scheduler)",
        description="Retrain the served model (the newest stored one, or --model) on all data with its own "
                    "parameters; the API service switches to it without a restart. Import the service's orders "
                    "first: python -m recs import --spool.")
    add_db_argument(parser)
    parser.add_argument("--model", default=None, help="stored model to retrain (default: the one served)")
    parser.add_argument("--if-drift", default=None, metavar="X",
                        help="only retrain when valid lines grew by at least this share since training (e.g. 0.05)")
    parser.set_defaults(func=run)


def drift(trained: dict | None, now: dict) -> float:
    """Growth of valid lines since training, as a share of the lines trained on (1.0 when unknown)."""
    before = (trained or {}).get("valid_lines")
    if not before:
        return 1.0
    return (int(now["valid_lines"]) - int(before)) / int(before)


def run(args: argparse.Namespace) -> int:
    from recs.db import connect
    from recs.models.store import load_model
    from recs.service.serving import newest_name
    from recs.training import data_fingerprint, train_model

    threshold = None
    if args.if_drift is not None:
        try:
            threshold = float(args.if_drift)
        except ValueError:
            raise InputError(f"--if-drift: {args.if_drift!r} is not a number (e.g. 0.05 for 5 %)") from None
        if not threshold >= 0:
            raise InputError(f"--if-drift must be 0 or more, got {args.if_drift}")
    path = db_path(args)
    if not path.exists():
        raise InputError(f"database not found: {path}")
    name = args.model or newest_name(path)
    if name is None:
        raise InputError(f"no trained model beside {path}: train one first (python -m recs train --model NAME)")
    served = load_model(path, name)
    con = connect(path)
    try:
        grown = drift(served.fingerprint, data_fingerprint(con))
        if threshold is not None and grown < threshold:
            print(f"{name}: valid lines grew {grown:.1%} since training ({served.trained_at}), below "
                  f"{threshold:.1%}: not retrained")
            return 0
        print(f"retraining {name} on all data (valid lines grew {grown:.1%} since {served.trained_at})",
              file=sys.stderr, flush=True)
        run_ = train_model(con, path, name, params=served.params, weighting=served.weighting or None,
                           half_life_days=served.half_life_days or 90.0)
    finally:
        con.close()
    print(f"{name}: retrained in {run_.fit_seconds:.1f} s on {run_.customers:,} customers; the API service "
          f"switches to it within a second")
    return 0
