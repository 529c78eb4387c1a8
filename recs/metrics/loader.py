"""Load a metric's SQL by name from `recs/metrics/sql/` and run it with bound parameters.

Each metric is one `.sql` file whose first line is `-- definition: ...`. A file that says
`{{base}}` gets the shared CTEs of `_base.sql` (the filtered sub-shop) pasted in its place: that
text is ours, never the user's. Values always travel as DuckDB named parameters (`$name`).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def metric_names() -> list[str]:
    """Every metric query shipped (file names without `.sql`, shared parts excluded)."""
    folder = resources.files("recs.metrics").joinpath("sql")
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".sql") and not p.name.startswith("_"))


def _read(name: str) -> str:
    return resources.files("recs.metrics").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


@cache
def load_sql(name: str) -> str:
    """The runnable SQL text of metric `name` (base CTEs included)."""
    if not _NAME.match(name) or name not in metric_names():
        raise KeyError(f"unknown metric query: {name!r}")
    text = _read(name)
    if "{{base}}" in text:
        base = "\n".join(line for line in _read("_base").splitlines() if not line.startswith("--"))
        text = text.replace("{{base}}", base.strip())
    return text


def definition(name: str) -> str:
    """The one-line definition written on top of the metric's SQL file."""
    first = _read(name).splitlines()[0]
    return first.removeprefix("--").strip().removeprefix("definition:").strip()


def run(con: Any, name: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Execute metric `name` on `con` (connection or cursor) and return a DataFrame.

    Only the parameters the query mentions are bound (DuckDB refuses extra ones).
    """
    sql = load_sql(name)
    used = set(_PARAM.findall(sql))
    bound = {k: v for k, v in (params or {}).items() if k in used}
    missing = used - bound.keys()
    if missing:
        raise KeyError(f"metric {name!r} needs parameters {sorted(missing)}")
    return con.execute(sql, bound).df()
