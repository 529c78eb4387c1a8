"""Every query outside the metrics, loaded by name from the `.sql` files beside this module.

One query, one file: `recs/sql/<area>/<name>.sql` is the query named `"<area>/<name>"` (the metrics have their
own folder and metadata: `recs.metrics`). Its header comment says what it returns and which values it binds.
Values always travel as bound parameters (`$name` or `?`), never as text pasted into the SQL.

Two kinds of `{{placeholder}}`, both filled with text that is ours, never the user's:
- `{{part}}` pastes `_part.sql` from the same folder (CTEs that several queries share);
- `{{name}}` declared in the file by a line `-- allow name: a b c` is an identifier (a table name) that must be
  one of those words.
The importer and the demo generator assemble their statements from allow-listed column lists in Python.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

_NAME = re.compile(r"^[a-z][a-z0-9_]*/[a-z][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{\{([a-z][a-z0-9_]*)\}\}")
_ALLOW = re.compile(r"^--\s*allow\s+([a-z][a-z0-9_]*):(.*)$", re.MULTILINE)


@cache
def names() -> tuple[str, ...]:
    """Every query shipped, as "<area>/<name>" (shared parts, whose files start with `_`, excluded)."""
    root = resources.files("recs.sql")
    found = []
    for area in root.iterdir():
        if area.is_dir() and not area.name.startswith(("_", ".")):
            found += [f"{area.name}/{p.name[:-4]}" for p in area.iterdir()
                      if p.name.endswith(".sql") and not p.name.startswith("_")]
    return tuple(sorted(found))


def _read(area: str, stem: str) -> str:
    return resources.files("recs.sql").joinpath(area, f"{stem}.sql").read_text(encoding="utf-8")


@cache
def _template(name: str) -> tuple[str, dict[str, frozenset[str]]]:
    """The query text with its shared parts pasted in, and its identifier allowlists."""
    if not _NAME.match(name) or name not in names():
        raise KeyError(f"unknown query: {name!r}")
    area, stem = name.split("/")
    text = _read(area, stem)
    allow = {key: frozenset(words.split()) for key, words in _ALLOW.findall(text)}

    def part(match: re.Match) -> str:
        key = match.group(1)
        if key in allow:
            return match.group(0)
        body = _read(area, f"_{key}")
        return "\n".join(line for line in body.splitlines() if not line.startswith("--")).strip()

    return _PLACEHOLDER.sub(part, text), allow


def load(name: str, **identifiers: str) -> str:
    """The runnable SQL of query `name`; `identifiers` fill its `{{name}}` slots, each from the file's allowlist."""
    text, allow = _template(name)
    if set(identifiers) != set(allow):
        raise KeyError(f"query {name!r} takes identifiers {sorted(allow)}, got {sorted(identifiers)}")
    for key, value in identifiers.items():
        if value not in allow[key]:
            raise ValueError(f"query {name!r}: {key} {value!r} is not one of {sorted(allow[key])}")
        text = text.replace("{{" + key + "}}", value)
    return text


def run(con: Any, name: str, params: dict[str, Any] | list[Any] | None = None, **identifiers: str) -> Any:
    """Execute query `name` on `con` (connection or cursor) with bound `params`; returns the cursor to fetch from."""
    sql = load(name, **identifiers)
    return con.execute(sql) if params is None else con.execute(sql, params)


def frame(con: Any, name: str, params: dict[str, Any] | None = None, **identifiers: str) -> Any:
    """Query `name` as a pandas DataFrame read through Arrow: text columns arrive as Arrow strings in one step
    (a cursor's .df() converts them value by value: twice as slow on the 10 M-line shop's experiment window).
    DECIMAL columns arrive as Python decimals here: cast them in SQL where a float is wanted."""
    return con.sql(load(name, **identifiers), params=params).to_arrow_table().to_pandas()
