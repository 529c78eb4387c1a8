"""The Data page renders on an empty and on a full warehouse (AppTest, real app, real DuckDB files)."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO
from streamlit.testing.v1 import AppTest


def _data_page(use_db, path: Path) -> AppTest:
    use_db(path)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_data_page_on_empty_database(use_db, empty_db: Path) -> None:
    at = _data_page(use_db, empty_db)
    assert [s.value for s in at.subheader][:3] == ["Import a file", "What the warehouse holds", "Import history"]
    assert {m.label: m.value for m in at.metric}["order lines"] == "0"
    assert any("No imports yet" in c.value for c in at.caption)
    assert at.radio(key="data_kind").value == "Orders"
    assert at.selectbox(key="data_fmt").value == "generic"


def test_data_page_on_retail_database(use_db, retail_db: Path) -> None:
    at = _data_page(use_db, retail_db)
    assert {m.label: m.value for m in at.metric}["order lines"] == "541,909"
    history = at.dataframe[-1].value
    assert list(history["file_name"]) == ["online_retail.parquet"]
    assert int(history["rows_kept"].iloc[0]) == 541_909
    at.radio(key="data_kind").set_value("Experiment assignments").run()
    assert not at.exception
    assert "data_fmt" not in [s.key for s in at.selectbox]  # no layout choice for assignments
