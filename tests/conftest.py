"""Shared fixtures: real DuckDB files (empty, demo shop, Online Retail), built once per test worker."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"
RETAIL_PARQUET = SHARED / "online-retail" / "online_retail.parquet"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    """A warehouse file with the schema and no rows."""
    from recs.db import connect

    path = tmp_path / "empty.duckdb"
    connect(path).close()
    return path


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo shop (5,000 customers, seed 42), generated once per worker. Treat as read-only."""
    from recs.db import connect
    from recs.demo import generate_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = connect(path)
    generate_demo(con)
    con.close()
    return path


@pytest.fixture(scope="session")
def retail_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Online Retail imported with the online-retail format, once per worker. Treat as read-only."""
    from recs.db import connect
    from recs.importer import import_files

    if not RETAIL_PARQUET.exists():
        pytest.fail(f"shared dataset missing: {RETAIL_PARQUET}")
    path = tmp_path_factory.mktemp("retail") / "retail.duckdb"
    con = connect(path)
    import_files(con, orders=RETAIL_PARQUET, fmt="online-retail")
    con.close()
    return path


@pytest.fixture
def use_db(monkeypatch: pytest.MonkeyPatch):
    """Point the app (REPEAT_DB) at a given database file for AppTest runs."""

    def _use(path: Path) -> Path:
        monkeypatch.setenv("REPEAT_DB", str(path))
        return path

    return _use


os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
