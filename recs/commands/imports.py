"""`python -m recs imports list|delete`: the shop's import history, and deleting one import in one transaction."""

from __future__ import annotations

import argparse
import sys

from recs.commands._common import add_db_argument, db_path, write_csv

REMOVE = "delete"  # the subcommand that removes an import


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "imports",
        help="list the imports of a shop, or delete one",
        description="`imports list` prints the import history (newest first; --out FILE writes it as CSV). "
                    f"`imports {REMOVE} --id N` removes import #N in one transaction: its order lines (or "
                    "assignments) go, the orders and product figures are rebuilt, and models trained before become "
                    "out of date. A products file cannot be deleted. The file can be imported again afterwards.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the import history, newest first")
    add_db_argument(listing)
    listing.add_argument("--out", default=None, help="write the history as CSV to this file (- for standard output)")
    listing.set_defaults(func=run_list)
    remove = actions.add_parser(REMOVE, help="remove one import (see `imports list` for the ids)")
    add_db_argument(remove)
    remove.add_argument("--id", type=int, required=True, metavar="N", help="the import number to remove")
    remove.set_defaults(func=run_remove)


def _open(args: argparse.Namespace, read_only: bool):
    from recs.db import connect
    from recs.errors import InputError

    path = db_path(args)
    if not path.exists():
        raise InputError(f"database not found: {path}")
    return connect(path, read_only=read_only)


def run_list(args: argparse.Namespace) -> int:
    from recs.importer import import_history

    con = _open(args, read_only=True)
    try:
        history = import_history(con)
    finally:
        con.close()
    if args.out is not None:
        write_csv(history, args.out)
        return 0
    if history.empty:
        print("no imports yet")
        return 0
    shown = history.drop(columns=["sha256", "finished_at"])
    print(shown.to_string(index=False))
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from recs.importer import delete_import

    con = _open(args, read_only=False)
    try:
        deletion = delete_import(con, args.id)
    finally:
        con.close()
    print(deletion.to_text(), file=sys.stdout)
    return 0
