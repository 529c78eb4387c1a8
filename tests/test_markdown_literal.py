"""A product name and a file name full of Markdown show literally in the real app (AppTest): the product
`**bold** <b>x</b> [a](b)` in the Recommendations page's reasons, the file `_spring*sale_.csv` in the Data page's
message after deleting its import. Each reaches the page escaped (`recs.text.md_escape`), never raw."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from recs.text import md_escape
from tests.conftest import REPO

PRODUCT = "**bold** <b>x</b> [a](b)"
FILE = "_spring*sale_.csv"


@pytest.fixture
def shop(tmp_path: Path, use_db) -> Path:
    """Twenty customers from one file called FILE: C01 bought P2 and P3, everyone else P1 (named PRODUCT), so a
    popularity model recommends P1 to C01 first."""
    from recs.db import connect
    from recs.importer import import_files

    rows = []
    start = dt.datetime(2024, 1, 1, 10)
    for c in range(1, 21):
        bought = ["P2", "P3"] if c == 1 else ["P1", "P2"]
        for n, product in enumerate(bought):
            rows.append({"order_id": f"O{c}-{n}", "customer_id": f"C{c:02d}",
                         "ordered_at": start + dt.timedelta(days=3 * c + n), "product_id": product,
                         "quantity": 1, "unit_price": 5.0,
                         "product_name": {"P1": PRODUCT, "P2": "Bread", "P3": "Jam"}[product], "category": "Food"})
    (tmp_path / FILE).write_text(pd.DataFrame(rows).to_csv(index=False))
    path = tmp_path / "shop.duckdb"
    con = connect(path)
    import_files(con, orders=tmp_path / FILE)
    con.close()
    return use_db(path)


def _open(page: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> list[str]:
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader")
    return [str(e.value) for kind in kinds for e in getattr(at, kind)]


def test_a_product_name_in_the_reasons_reads_as_typed(shop):
    at = _open("pages/recommendations.py")
    at.selectbox(key="train-model").set_value("popular").run()
    at.button(key="train-button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    lines = [t for t in _texts(at) if "(`P1`)" in t]
    assert lines and lines[0].startswith(f"1. **{md_escape(PRODUCT)}** (`P1`)"), lines
    assert not [t for t in _texts(at) if PRODUCT in t]  # never raw, anywhere on the page


def test_a_file_name_in_the_deletion_message_reads_as_typed(shop):
    at = _open("pages/data.py")
    warning = next(w.value for w in at.warning if "Deleting import #1" in w.value)
    assert f"`{FILE}`" in warning  # a code span: shown as typed
    next(c for c in at.checkbox if str(c.key).startswith("data_delete_sure")).check().run()
    at.button(key="data_delete").click().run()
    assert not at.exception, [e.value for e in at.exception]
    done = [s.value for s in at.success if "deleted import #1" in s.value.replace("\\", "")]
    assert done and md_escape(FILE) in done[0], [s.value for s in at.success]
    assert not [t for t in _texts(at) if FILE in t and f"`{FILE}`" not in t]
