"""One place per number: a metric's definition and columns come from its metadata file, and the page's CSV and
the CLI's CSV are one function's bytes (`recs.metrics.csv_bytes`).

Per metric: the file `python -m recs metrics NAME` writes equals `csv_bytes(NAME, frame)` for the frame the page
computes with its default filters (the same library call the page makes), and the page, run in AppTest, serves
its download through that function (its button says which CLI file it is).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from recs import metrics
from recs.db import connect
from recs.metrics import meta
from tests.conftest import REPO


@pytest.fixture(scope="module")
def shop(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo shop: the CLI's process must open it while this process may hold demo_db for AppTest."""
    path = tmp_path_factory.mktemp("csv") / "shop.duckdb"
    shutil.copy(demo_db, path)
    return path


CLI_METRICS = ("summary", "retention", "repurchase", "repeat_within", "time_to_second", "rfm")
PAGE_OF = {"summary": "pages/overview.py", "retention": "pages/retention.py", "repurchase": "pages/retention.py",
           "repeat_within": "pages/retention.py", "time_to_second": "pages/retention.py",
           "rfm": "pages/customers.py"}


def _page_frame(con, name: str) -> tuple[pd.DataFrame, list[str]]:
    """What the page shows with its default filters (whole data range, month, 30/60/90 days), and the CLI options
    that ask for the same: the page's date range is both days included, the CLI's --end is exclusive."""
    first, last = metrics.date_range(con)
    window = metrics.Filters(first, last + dt.timedelta(days=1))
    options = ["--start", str(first), "--end", str(last + dt.timedelta(days=1))]
    if name == "summary":  # the Overview page: the whole shop, no filter
        return metrics.summary(con), []
    if name == "retention":
        return metrics.retention(con, "month", window), options
    if name == "repurchase":
        return metrics.repurchase(con, "month", window), options
    if name == "repeat_within":
        return metrics.repeat_within(con, [30.0, 60.0, 90.0], window, "month"), options
    if name == "time_to_second":
        return metrics.time_to_second(con, window, "month"), options
    return metrics.rfm(con, window, None), options


@pytest.mark.parametrize("name", CLI_METRICS)
def test_page_csv_and_cli_csv_are_the_same_bytes(name, shop, tmp_path):
    con = connect(shop)
    try:
        frame, options = _page_frame(con, name)
    finally:
        con.close()
    out = tmp_path / f"{name}.csv"
    done = subprocess.run([sys.executable, "-m", "recs", "metrics", name, "--db", str(shop), "--out", str(out),
                           *options], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    page_bytes = metrics.csv_bytes(name, frame)
    assert out.read_bytes() == page_bytes
    header = page_bytes.split(b"\n", 1)[0].decode()
    assert header.split(",") == metrics.definition(name).column_names(list(frame.columns))
    assert len(page_bytes.splitlines()) > 1


def test_retention_csv_keeps_complete_in_both():
    """A user needs to know which cells can still grow: the last column says whether the period is over."""
    assert metrics.RETENTION_COLUMNS[-1] == "complete"
    frame = pd.DataFrame({"cohort": pd.to_datetime(["2024-01-01", "2024-01-01"]), "period": [0, 1],
                          "cohort_size": [2, 2], "customers": [2, 1], "retention": [1.0, 0.5],
                          "revenue": [30.0, 30.0], "revenue_retention": [1.0, 1.0], "complete": [True, False]})
    assert metrics.csv_bytes("retention", frame) == (
        b"cohort,period,cohort_size,customers,retention,revenue,revenue_retention,complete\n"
        b"2024-01-01,0,2,2,1.0,30.0,1.0,True\n2024-01-01,1,2,1,0.5,30.0,1.0,False\n")


@pytest.mark.parametrize("page", sorted(set(PAGE_OF.values())))
def test_each_page_serves_its_metric_csvs_through_the_shared_function(page, demo_db, use_db):
    use_db(demo_db)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)  # through the app's frame
    at.session_state["overview_tables"] = True  # the Overview's tables and their downloads, sent once opened
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    helps = [b.help or "" for b in at.download_button]
    for name in (n for n, p in PAGE_OF.items() if p == page):
        assert any(f"`python -m recs metrics {name}` writes" in h for h in helps), (name, helps)


def test_every_metric_has_metadata_with_a_definition_and_columns():
    sql_names = set(metrics.metric_names())
    assert sql_names <= set(metrics.definition_names())
    for name in metrics.definition_names():
        m = metrics.definition(name)
        assert m.name == name and m.title and m.definition and m.columns, name
        assert all(c.unit in meta.UNITS and c.label and c.description for c in m.columns), name
        if name not in sql_names:
            assert m.derived_from in sql_names, f"{name}: metadata without SQL must say what it is derived from"


def test_definitions_live_in_the_metadata_not_in_the_sql():
    folder = REPO / "recs" / "metrics" / "sql"
    for name in metrics.metric_names():
        text = (folder / f"{name}.sql").read_text(encoding="utf-8")
        assert "definition:" not in text, name
        assert metrics.definition(name).definition not in text, name
        raw = tomllib.loads((folder / f"{name}.toml").read_text(encoding="utf-8"))
        assert raw["name"] == name


def test_docs_quote_every_definition():
    docs = (REPO / "docs" / "metrics.md").read_text(encoding="utf-8")
    flat = re.sub(r"\s+", " ", re.sub(r"\n>\s*", " ", docs))
    for name in metrics.definition_names():
        assert metrics.definition(name).definition in flat, f"docs/metrics.md does not quote {name}'s definition"


def test_metric_columns_in_python_follow_the_metadata(shop):
    con = connect(shop)
    try:
        assert list(metrics.summary(con).columns) == metrics.definition("summary").column_names()
        frame = metrics.rfm(con)
        assert list(metrics.segment_summary(frame).columns) == metrics.definition("segment_summary").column_names()
        assert list(metrics.monthly(con).columns) == metrics.definition("monthly").column_names()
        med = metrics.time_to_second_median(con)
        assert list(med.columns) == metrics.definition("time_to_second_median").column_names()
        days = metrics.time_to_second_days(con)
        assert list(days.columns) == metrics.definition("time_to_second_days").column_names()
    finally:
        con.close()


def test_pattern_columns_expand_per_horizon():
    m = metrics.definition("repeat_within")
    present = ["cohort", "customers", "within_7.5", "within_30", "complete_7.5", "complete_30"]
    assert m.column_names(present) == present
    assert m.column("within_7.5").label == "Within 7.5 days"
    assert "7.5 days" in m.help("complete_7.5")
    with pytest.raises(KeyError):
        m.column("within")
    with pytest.raises(KeyError):
        metrics.definition("../loader")


def test_no_page_writes_its_own_metric_help():
    """The tiles' and tables' explanations come from the metadata (pages/parts/metric_help.py)."""
    for page in ("overview", "retention", "customers"):
        text = Path(REPO / "pages" / f"{page}.py").read_text(encoding="utf-8")
        for phrase in ("Distinct orders with at least one valid line", "Repeat customers / customers",
                       "Revenue / orders", "Customers with 2 or more orders"):
            assert phrase not in text, (page, phrase)
