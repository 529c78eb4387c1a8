"""Shops: each shop is its own DuckDB file, side by side in one folder (`data/*.duckdb` by default).

The demo is one shop among them, recognised by the demo generator's marker (its `imports` row of kind 'demo').
An upload either starts a new shop (a new file) or is added to the current one; `placement` says which fits a
validated file and why, so the Data page can show what an import will do before it runs. Which shop a browser
session looks at is that session's choice (pages/parts/common.py); the CLI names it with `--db`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from recs import db, sql
from recs.errors import InputError
from recs.importer import ImportReport, import_files

SUFFIX = ".duckdb"


def shop_name(path: str | Path) -> str:
    """The shop's name as people see it: its file name without `.duckdb`."""
    return Path(path).name.removesuffix(SUFFIX)


def list_shops(folder: str | Path, current: str | Path | None = None) -> list[Path]:
    """The shop files in `folder` (`*.duckdb`), by name, plus `current` when it lives elsewhere. Files are not
    opened: listing never takes a lock another process might hold."""
    found = sorted(p.resolve() for p in Path(folder).glob(f"*{SUFFIX}") if p.is_file())
    if current is not None and Path(current).resolve() not in found:
        found.append(Path(current).resolve())
    return found


def is_demo(con) -> bool:
    """True when this shop was written by the demo generator."""
    if not db.has_schema(con):
        return False
    return bool(sql.run(con, "shops/is_demo").fetchall()[0][0])


def has_products(con) -> bool:
    """True when some product has a valid sale: recommendations need that; orders-only shops have none."""
    if not db.has_schema(con):
        return False
    return bool(sql.run(con, "shops/has_products").fetchall()[0][0])


def new_shop_path(folder: str | Path, name: str) -> Path:
    """`folder/<name>.duckdb` for a new shop; the name is reduced to letters, digits, '-' and '_'. Refuses a name
    that is empty or already taken (an existing shop is never overwritten)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name.strip().removesuffix(SUFFIX)).strip("-_").lower()
    if not slug:
        raise InputError("give the new shop a name (letters, digits, '-' or '_')")
    path = Path(folder) / f"{slug}{SUFFIX}"
    if path.exists():
        raise InputError(f"a shop named {slug!r} already exists ({path}); choose another name, or open that shop "
                         "(the sidebar; --db in the command line) and add the file to it")
    return path


def remove_database(path: str | Path) -> None:
    """Delete a database file and its write-ahead log (a failed new shop leaves nothing behind)."""
    for leftover in (Path(path), Path(f"{path}.wal")):
        leftover.unlink(missing_ok=True)


def import_into(path: str | Path, **kwargs) -> list[ImportReport]:
    """`import_files` into the database at `path` through a connection of its own; a new path that fails
    (bad file, busy, interrupted) is removed again, so a failed import never leaves an empty shop behind."""
    path = Path(path)
    db.check_database_path(path)
    existed = path.exists()
    try:
        con = db.connect(path)
    except BaseException:
        if not existed:
            remove_database(path)
        raise
    try:
        return import_files(con, **kwargs)
    except BaseException:
        con.close()
        if not existed:
            remove_database(path)
        raise
    finally:
        con.close()


def create_shop(path: str | Path, **kwargs) -> list[ImportReport]:
    """A new shop at `path` from the given files (`import_files` arguments); refuses an existing path."""
    path = Path(path)
    if path.exists():
        raise InputError(f"{path} already exists; a new shop needs a new file")
    return import_into(path, **kwargs)


@dataclass(frozen=True)
class Placement:
    """Where a validated orders file fits: the advice (`new_shop`), the reason in words, and the figures behind it."""

    new_shop: bool
    reason: str
    shop_orders: int
    shop_first: datetime | None
    shop_last: datetime | None
    file_customers: int
    shared_customers: int
    dates_overlap: bool


def _parse(when: str | None) -> datetime | None:
    return datetime.fromisoformat(when) if when else None


def placement(con, reports: Iterable[ImportReport]) -> Placement:
    """Advise "new shop" or "add to this shop" for the orders file among `reports` (a dry run on this shop).

    New shop when this shop is the demo, or when the file shares no customer with it (and, for a file without
    customer ids, when its dates do not overlap the shop's either); add when this shop is empty or shares customers.
    """
    orders = next((r for r in reports if r.kind == "orders" and not r.skipped_as_already_imported), None)
    n, _, first, last = sql.run(con, "shops/span").fetchall()[0] if db.has_schema(con) else (0, 0, None, None)
    if orders is None:
        return Placement(False, "only orders can start a new shop", n, first, last, 0, 0, False)
    f_first, f_last = _parse(orders.first_at), _parse(orders.last_at)
    overlap = bool(n and f_first and f_last and f_first <= last and f_last >= first)
    shared = orders.customers_in_shop
    figures = dict(shop_orders=n, shop_first=first, shop_last=last, file_customers=orders.customers,
                   shared_customers=shared, dates_overlap=overlap)
    if not n:
        return Placement(False, "this shop has no orders yet", **figures)
    if is_demo(con):
        return Placement(True, "this shop is the demo: your data would mix with made-up orders", **figures)
    if shared:
        return Placement(False, f"{shared:,} of the file's {orders.customers:,} customers already buy here",
                         **figures)
    if orders.customers or not overlap:
        span = f"{first:%Y-%m-%d} .. {last:%Y-%m-%d}"
        return Placement(True, f"the file shares no customer with this shop ({span}), so it looks like another shop",
                         **figures)
    return Placement(False, "the file has no customer ids and its dates overlap this shop's", **figures)
