"""`python -m recs serve`: start the app, refusing a non-local address without a login."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from recs import auth
from recs.commands._common import add_db_argument, db_path
from recs.errors import InputError

REPO = Path(__file__).resolve().parents[2]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="start the Streamlit app",
        description="Start the Repeat app. On an address other than 127.0.0.1 a login is required: "
        f"${auth.PASSWORD_ENV} or Streamlit's [auth] in .streamlit/secrets.toml.",
    )
    add_db_argument(parser)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"), help="address to listen on")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8501")), help="port (default 8501)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    method = auth.login_method(args.host, auth.secrets_have_oidc(REPO / ".streamlit" / "secrets.toml"),
                               auth.configured_password())
    if method == "refuse":
        raise InputError(auth.refusal_message(args.host))
    if not 0 < args.port < 65536:
        raise InputError(f"--port must be between 1 and 65535, got {args.port}")
    env = dict(os.environ, REPEAT_DB=str(Path(db_path(args)).resolve()))
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
        "--server.address", args.host, "--server.port", str(args.port), "--server.headless", "true",
    ]
    print(f"Repeat on http://{args.host}:{args.port} (login: {method}; database {env['REPEAT_DB']})", flush=True)
    return subprocess.call(command, cwd=REPO, env=env)
