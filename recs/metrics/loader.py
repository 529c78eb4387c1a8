"""Load a metric's SQL by name from `recs/metrics/sql/` and run it with bound parameters.

Each metric is one `.sql` file, with its definition, columns and parameters in the `.toml` beside it
(`recs.metrics.meta`). A file that says
`{{base}}` gets the shared CTEs pasted in its place: the shop's orders (`_shop_all.sql`, the
`orders` table, when no country/category filter is set; `_shop_filtered.sql`, orders recomputed
from the sub-shop's lines, otherwise), then `_base.sql`. That text is ours, never the user's.
Values always travel as DuckDB named parameters (`$name`).
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


def _part(name: str) -> str:
    return "\n".join(line for line in _read(name).splitlines() if not line.startswith("--")).strip()


@cache
def load_sql(name: str, filtered: bool = True) -> str:
    """The runnable SQL text of metric `name` (base CTEs included).

    `filtered=False` is for a run without country and category: the shop's orders then come from the
    `orders` table instead of being recomputed from the lines (same rows, several times faster).
    """
    if not _NAME.match(name) or name not in metric_names():
        raise KeyError(f"unknown metric query: {name!r}")
    text = _read(name)
    if "{{base}}" in text:
        shop = _part("_shop_filtered" if filtered else "_shop_all")
        text = text.replace("{{base}}", f"{shop},\n{_part('_base')}")
    return text


def is_filtered(params: dict[str, Any] | None) -> bool:
    """True when a country or category narrows the shop (so orders must be recomputed from its lines)."""
    params = params or {}
    return params.get("country") is not None or params.get("category") is not None


def run(con: Any, name: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Execute metric `name` on `con` (connection or cursor) and return a DataFrame.

    Only the parameters the query mentions are bound (DuckDB refuses extra ones).
    """
    sql = load_sql(name, is_filtered(params))
    used = set(_PARAM.findall(sql))
    bound = {k: v for k, v in (params or {}).items() if k in used}
    missing = used - bound.keys()
    if missing:
        raise KeyError(f"metric {name!r} needs parameters {sorted(missing)}")
    return con.execute(sql, bound).df()
