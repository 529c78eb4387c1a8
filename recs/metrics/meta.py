"""A metric's metadata: the `<name>.toml` beside its SQL in `recs/metrics/sql/` (as bigquery-etl keeps a
`metadata.yaml` beside each `query.sql`).

It holds the one place where a figure is explained: its one-line definition, each output column's label, unit and
description (in CSV order), and the parameters it takes. Pages take their captions and column help from here, the
CSV writer its column order and date columns, docs/metrics.md quotes the definitions (a test checks they agree).

A column name may hold `{days}` (repeat_within's `within_{days}`): it stands for one column per horizon.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources

UNITS = ("count", "share", "money", "days", "date", "periods", "score", "flag", "id", "text")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Column:
    """One output column: `name` as in the CSV, a short `label` for screens, its `unit` (one of UNITS)."""

    name: str
    label: str
    unit: str
    description: str

    def matches(self, actual: str) -> dict[str, str] | None:
        """The values of the `{...}` slots when `actual` is this column (None when it is not)."""
        if "{" not in self.name:
            return {} if actual == self.name else None
        pattern = re.sub(r"\\\{([a-z_]+)\\\}", r"(?P<\1>.+)", re.escape(self.name))
        found = re.fullmatch(pattern, actual)
        return found.groupdict() if found else None

    def filled(self, actual: str) -> Column:
        """This column with its `{...}` slots filled for the real column `actual`."""
        slots = self.matches(actual) or {}
        label, description = self.label, self.description
        for key, value in slots.items():
            label, description = label.replace("{" + key + "}", value), description.replace("{" + key + "}", value)
        return replace(self, name=actual, label=label, description=description)


@dataclass(frozen=True)
class MetricDefinition:
    """What a metric means and returns, read from its metadata file."""

    name: str
    title: str
    definition: str
    columns: tuple[Column, ...]
    params: dict[str, str] = field(default_factory=dict)
    derived_from: str | None = None

    def column(self, actual: str) -> Column:
        """The metadata of output column `actual` (`within_30` finds `within_{days}`); KeyError when unknown."""
        for column in self.columns:
            if column.matches(actual) is not None:
                return column.filled(actual)
        raise KeyError(f"metric {self.name!r} has no column {actual!r}")

    def column_names(self, present: list[str] | None = None) -> list[str]:
        """The output columns in CSV order; a `{...}` column expands to the matching names in `present`."""
        names: list[str] = []
        for column in self.columns:
            if "{" not in column.name:
                names.append(column.name)
            else:
                names += [c for c in present or [] if column.matches(c) is not None]
        return names

    def help(self, actual: str) -> str:
        """The description of output column `actual` (for a tooltip)."""
        return self.column(actual).description


def _folder():
    return resources.files("recs.metrics").joinpath("sql")


@cache
def definition(name: str) -> MetricDefinition:
    """The metadata of metric `name` (KeyError when there is none)."""
    if not _NAME.match(name) or name not in definition_names():
        raise KeyError(f"unknown metric: {name!r}")
    raw = tomllib.loads(_folder().joinpath(f"{name}.toml").read_text(encoding="utf-8"))
    if raw.get("name") != name:
        raise ValueError(f"{name}.toml: name is {raw.get('name')!r}, expected {name!r}")
    columns = tuple(Column(c["name"], c["label"], c["unit"], c["description"]) for c in raw["columns"])
    bad = [c.name for c in columns if c.unit not in UNITS]
    if bad:
        raise ValueError(f"{name}.toml: unknown unit for {bad}; use one of {', '.join(UNITS)}")
    return MetricDefinition(name=name, title=raw["title"], definition=raw["definition"], columns=columns,
                            params=dict(raw.get("params", {})), derived_from=raw.get("derived_from"))


@cache
def definition_names() -> tuple[str, ...]:
    """Every metric with a metadata file (the SQL metrics and the ones derived from them in Python)."""
    return tuple(sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".toml")))
