"""Every query a user sees the result of lives in a .sql file, loaded by name (recs.sql, recs.metrics).

The check below reads recs/ the way /tmp/sqlcount.py did for issue 13: a string constant (or the literal parts of
an f-string) that starts with a SQL keyword is a query in Python. Docstrings are prose, not queries. The importer
and the demo generator may assemble statements from allow-listed column lists, so they are left out.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pytest

from recs import sql
from recs.db import connect
from tests.conftest import REPO

# DELETE only with FROM: a CLI word such as `imports delete` or `models delete` is not a query
SQL_START = re.compile(r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE\s+FROM|CREATE|DROP|ALTER|COPY|PRAGMA|ATTACH|DETACH)\b",
                       re.I)
ALLOWED = ("recs/importer/", "recs/demo/")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes of a module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def sql_strings(path: Path) -> list[tuple[int, str]]:
    """(line, start of text) of each string constant or f-string in `path` that starts like a SQL statement."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            skip.update(id(v) for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
        else:
            continue
        if SQL_START.match(text):
            out.append((node.lineno, text.strip()[:60]))
    return out


def test_no_sql_query_string_in_python_outside_importer_and_demo():
    found = {}
    for path in sorted((REPO / "recs").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith(ALLOWED):
            continue
        hits = sql_strings(path)
        if hits:
            found[rel] = hits
    assert not found, f"SQL in Python modules (put it in a .sql file under recs/sql/ and load it by name): {found}"


def test_the_check_sees_a_query_and_ignores_a_docstring(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""Attach the events (a docstring)."""\n\nQ = """\nSELECT 1\n"""\n'
                      'def f(t):\n    """Select things."""\n    return f"DROP TABLE {t}"\n')
    assert [line for line, _ in sql_strings(sample)] == [3, 8]


@pytest.mark.parametrize("name", sql.names())
def test_every_query_loads_and_parses(name):
    allow = dict(sql._template(name)[1])
    text = sql.load(name, **{key: sorted(words)[0] for key, words in allow.items()})
    assert "{{" not in text, name
    assert text.lstrip().startswith("--"), f"{name}: say what the query returns in a header comment"
    assert duckdb.connect().extract_statements(text), name


def test_names_come_only_from_the_shipped_files():
    assert "preview/search_customers" in sql.names() and "db/refresh_orders" in sql.names()
    assert not any(n.split("/")[1].startswith("_") for n in sql.names())  # shared parts are not queries
    for bad in ("preview/../db/has_orders", "preview/nope", "preview", "/etc/passwd", "Preview/search_customers"):
        with pytest.raises(KeyError):
            sql.load(bad)


def test_identifiers_only_from_the_files_allowlist():
    assert sql.load("db/count_rows", table="orders").strip().endswith("FROM orders")
    for bad in ("orders; DROP TABLE orders", "information_schema.tables", "Orders"):
        with pytest.raises(ValueError, match="is not one of"):
            sql.load("db/count_rows", table=bad)
    with pytest.raises(KeyError):
        sql.load("db/count_rows")
    with pytest.raises(KeyError):
        sql.load("db/has_orders", table="orders")


def test_filter_values_are_bound_not_pasted(demo_db):
    con = connect(demo_db)  # the same configuration as any other open of demo_db in this process
    try:
        hostile = "'; DROP TABLE order_lines;--"
        assert sql.run(con, "preview/search_customers", [hostile, 5]).fetchall() == []
        assert sql.run(con, "preview/search_products", {"text": hostile, "limit": 5}).fetchall() == []
        assert sql.run(con, "db/count_rows", table="order_lines").fetchone()[0] > 0
    finally:
        con.close()
