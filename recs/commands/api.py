"""`python -m recs api`: the recommendation service for the shop's site (FastAPI + uvicorn, OpenAPI at /docs).

It serves the models stored beside the database and never opens the DuckDB file (the app may hold it).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from recs import auth
from recs.commands._common import add_db_argument, db_path
from recs.errors import InputError

KEY_ENV = "REPEAT_API_KEY"


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
    uvicorn.run(create_app(settings), host=args.host, port=args.port, access_log=False, log_level=args.log_level,
                timeout_graceful_shutdown=5)
    return 0
