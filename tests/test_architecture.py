"""The house rules that a reader of the code relies on, checked on the source itself.

- no import cycles between modules of `recs/` (function-level imports included: a cycle hidden inside a function
  is still a cycle);
- no private name imported from another module (`from recs.x import _helper`): what is shared is public;
- `recs/` never imports streamlit, pages never import duckdb, nothing reaches into Streamlit's private runtime;
- no module of the app over ~400 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 420


def _modules(package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under `package`."""
    out = {}
    for path in sorted((REPO / package).rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(path: Path, module: str) -> list[tuple[str, list[str], int]]:
    """(imported module, imported names, line) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((alias.name, [], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_pkg else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            out.append((base, [alias.name for alias in node.names], node.lineno))
    return out


def _graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        for target, names, _ in _imports(path, mod):
            submodules = {f"{target}.{n}" for n in names} & set(modules)
            for dep in submodules or ({target} & set(modules)):
                if dep != mod:
                    graph[mod].add(dep)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_recs_has_no_import_cycles():
    graph = _graph(_modules("recs"))
    assert _cycles(graph) == []


def test_no_private_names_imported_across_modules():
    offenders = []
    every = {m for package in ("recs", "pages", "bench") for m in _modules(package)}
    for package in ("recs", "pages", "bench"):
        for mod, path in _modules(package).items():
            for target, names, line in _imports(path, mod):
                if not target.startswith(("recs", "pages", "bench")) or target == mod:
                    continue
                private = [n for n in names if n.startswith("_") and not n.startswith("__")
                           and f"{target}.{n}" not in every]  # a package's private module is its own business
                if private:
                    offenders.append(f"{path.relative_to(REPO)}:{line} imports {', '.join(private)} from {target}")
    assert offenders == []


def test_layer_boundaries():
    bad = []
    for mod, path in _modules("recs").items():
        for target, _, line in _imports(path, mod):
            if target.split(".")[0] == "streamlit":
                bad.append(f"{path.relative_to(REPO)}:{line} imports streamlit")
    ui = {**_modules("pages"), "app": REPO / "app.py"}
    for mod, path in ui.items():
        for target, _, line in _imports(path, mod):
            if target.split(".")[0] == "duckdb":
                bad.append(f"{path.relative_to(REPO)}:{line} imports duckdb")
            if target.startswith("streamlit.runtime") or target.startswith("streamlit.web"):
                bad.append(f"{path.relative_to(REPO)}:{line} imports Streamlit's runtime ({target})")
    assert bad == []


@pytest.mark.parametrize("package", ["recs", "pages"])
def test_no_module_is_too_long(package):
    files = list(_modules(package).values()) + ([REPO / "app.py"] if package == "pages" else [])
    long = {str(p.relative_to(REPO)): n for p in files if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
