"""Errors a user can act on. The CLI prints their message and exits with code 2; pages show it."""

from __future__ import annotations


class RepeatError(Exception):
    """Base class for every error whose message is meant for a person, not a traceback."""


class InputError(RepeatError):
    """Bad input: a file, a column, a value or a request that cannot be used as given."""


class DatabaseBusy(RepeatError):
    """Another process holds the DuckDB file for writing."""


class NotFound(RepeatError):
    """An id (customer, product, experiment, model) that is not in the data."""


class ModelCannotFit(RepeatError):
    """A model that cannot learn from this shop's data (e.g. a one-product catalogue): its one-line reason."""


def format_rows(rows: list[tuple[int, object]], limit: int = 5) -> str:
    """Render `(row_number, value)` pairs as 'row 12: 'abc', row 40: ''' for messages."""
    shown = ", ".join(f"row {n}: {value!r}" for n, value in rows[:limit])
    return shown
