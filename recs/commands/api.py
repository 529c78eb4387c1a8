"""`python -m recs api`: the recommendation service for the shop's site (FastAPI + uvicorn, OpenAPI at /docs).

It serves the models stored beside the database and never opens the DuckDB file (the app may hold it).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from recs import auth
from recs.commands._common import add_db_argument, db_path, write_csv
from recs.errors import InputError

KEY_ENV = "REPEAT_API_KEY"
SWITCH_INTERVAL_SECONDS = 0.001  # the service hands the interpreter between threads this often (Python: 0.005)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "api", help="start the recommendation service (HTTP API for the shop's site)",
        description="Serve recommendations, similar products, orders and A/B variants over HTTP from the models "
                    f"stored beside the database. Every endpoint but /v1/health needs the header X-API-Key equal to "
                    f"${KEY_ENV}; an address other than 127.0.0.1 is refused without it. See docs/api.md.")
    add_db_argument(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8502, help="port (default 8502)")
    parser.add_argument("--model", default=None,
                        help="stored model to serve by default (default: the one trained most recently)")
    parser.add_argument("--spool", type=Path, default=None, metavar="DIR",
                        help="folder of posted orders and assignments (default: <db>.spool)")
    parser.add_argument("--experiments", type=Path, default=None, metavar="FILE",
                        help="experiments config (default: <db>.models/experiments.json)")
    parser.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"))
    parser.set_defaults(func=run)
    actions = parser.add_subparsers(dest="api_command", metavar="{experiments,compact}")
    register_experiments(actions)
    compact = actions.add_parser(
        "compact", help="remove (or archive) the spool files already imported into the warehouse",
        description="Remove the service's spool files whose every order and assignment is in the warehouse and "
                    "that no running service holds (import --spool does this after each import); their done "
                    "marks stay. With --archive DIR they are moved there instead.")
    add_db_argument(compact)
    compact.add_argument("--spool", type=Path, default=None, metavar="DIR",
                         help="the service's spool folder (default: <db>.spool)")
    compact.add_argument("--archive", type=Path, default=None, metavar="DIR",
                         help="move the files into this folder instead of deleting them")
    compact.set_defaults(func=run_compact)


def register_experiments(subparsers: argparse._SubParsersAction) -> None:
    """`api experiments [add|remove]`: the service's A/B experiments, managed without editing the JSON by hand."""
    parser = subparsers.add_parser(
        "experiments", help="list, add or remove the service's A/B experiments",
        description="Without a subcommand: every experiment the service serves, with its variants, shares and the "
                    "customers assigned so far in the spool. The running service picks up a change by itself.")
    _experiment_files(parser)
    parser.set_defaults(func=run_list)
    actions = parser.add_subparsers(dest="experiments_command", metavar="{add,remove}")
    add = actions.add_parser("add", help="add a two-variant experiment (control and treatment)",
                             description="Add an experiment: the treatment model gets --share of the customers, "
                                         "the control the rest (a stored model, or none: no recommendations).")
    _experiment_files(add)
    add.add_argument("--id", required=True, help="experiment id (as the shop's site sends it: &experiment=ID)")
    add.add_argument("--control", required=True, metavar="MODEL|none",
                     help="stored model served to the control variant, or none (a hold-out: no recommendations)")
    add.add_argument("--treatment", required=True, metavar="MODEL", help="stored model served to the treatment")
    add.add_argument("--share", type=float, default=0.5, help="the treatment's share of customers (default 0.5)")
    add.set_defaults(func=run_add)
    remove = actions.add_parser("remove", help="remove an experiment (its recorded assignments stay)")
    _experiment_files(remove)
    remove.add_argument("--id", required=True, help="experiment id")
    remove.set_defaults(func=run_remove)


def _experiment_files(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    parser.add_argument("--experiments", type=Path, default=None, metavar="FILE",
                        help="experiments config (default: <db>.models/experiments.json)")
    parser.add_argument("--spool", type=Path, default=None, metavar="DIR",
                        help="the service's spool folder, for the assignment counts (default: <db>.spool)")


def _config_path(args: argparse.Namespace) -> Path:
    from recs.models.store import models_dir

    return args.experiments or models_dir(db_path(args)) / "experiments.json"


def run_list(args: argparse.Namespace) -> int:
    from recs.service.experiment_admin import list_experiments
    from recs.service.spool import default_spool_dir

    frame = list_experiments(_config_path(args), args.spool or default_spool_dir(db_path(args)))
    if frame.empty:
        print(f"no experiments configured in {_config_path(args)} (add one: python -m recs api experiments add)",
              file=sys.stderr)
    write_csv(frame, "-")
    return 0


def run_add(args: argparse.Namespace) -> int:
    from recs.models.store import stored_metas
    from recs.service.experiment_admin import add_experiment

    models = {name for name, _ in stored_metas(db_path(args))}
    spec = add_experiment(_config_path(args), args.id, args.control, args.treatment, args.share, models)
    shares = ", ".join(f"{name} {v['share']:g} ({v['model'] or 'no recommendations'})"
                       for name, v in spec["variants"].items())
    print(f"experiment {args.id.strip()} added: {shares}; written to {_config_path(args)} (the running service "
          "picks it up by itself)", file=sys.stderr)
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from recs.service.experiment_admin import remove_experiment

    remove_experiment(_config_path(args), args.id)
    print(f"experiment {args.id} removed from {_config_path(args)}", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    from recs.models.store import models_dir, stored_metas
    from recs.service.spool import default_spool_dir

    if not auth.is_local_address(args.host) and not os.environ.get(KEY_ENV):
        raise InputError(f"refusing to listen on {args.host} without an API key: set ${KEY_ENV} (clients send it "
                         "as the X-API-Key header), or use --host 127.0.0.1")
    if not 0 < args.port < 65536:
        raise InputError(f"--port must be between 1 and 65535, got {args.port}")
    import socket

    with socket.socket() as probe:  # say it plainly instead of uvicorn's log line and exit 1
        try:
            probe.bind((args.host, args.port))
        except OSError as exc:
            raise InputError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc} (another service "
                             "there? choose another --port)") from None
    path = db_path(args)
    if args.model is not None and args.model not in {name for name, _ in stored_metas(path)}:
        raise InputError(f"--model {args.model!r}: no stored model of that name beside {path} "
                         "(train it first: python -m recs train)")
    import logging

    import uvicorn

    from recs.service.core import Settings
    from recs.service.http import create_app

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings(db_path=path, spool_dir=args.spool or default_spool_dir(path),
                        experiments_file=args.experiments or models_dir(path) / "experiments.json", model=args.model)
    key = "required" if os.environ.get(KEY_ENV) else f"not required (no ${KEY_ENV}; local address only)"
    print(f"Repeat API on http://{args.host}:{args.port} (docs at /docs; key {key}; database {path}; "
          f"spool {settings.spool_dir})", file=sys.stderr, flush=True)
    # Requests are short and the fold worker and a hot swap's loading are long: hand the interpreter over every
    # millisecond instead of every 5 (Python's default), so a request does not queue behind them (docs/api.md).
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, access_log=False, log_level=args.log_level,
                timeout_graceful_shutdown=5)
    return 0


def run_compact(args: argparse.Namespace) -> int:
    from recs.db import connect
    from recs.service.spool import default_spool_dir
    from recs.service.spool_compact import compact_spool

    folder = args.spool or default_spool_dir(db_path(args))
    if not folder.is_dir():
        raise InputError(f"spool folder not found: {folder}")
    con = connect(db_path(args), read_only=True)
    try:
        print(compact_spool(con, folder, args.archive).to_text())
    finally:
        con.close()
    return 0
