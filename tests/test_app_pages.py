"""Every page renders without an exception through the real app (AppTest), on the demo shop and on an empty file."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO

PAGES = [
    "pages/overview.py", "pages/retention.py", "pages/customers.py", "pages/recommendations.py",
    "pages/customer.py", "pages/product.py", "pages/experiments.py", "pages/data.py",
]


def _render(page: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(page)
    at.run()
    return at


def _all_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.info] + [m.value for m in at.caption]
    parts += [m.value for m in at.title] + [m.value for m in at.header] + [m.value for m in at.subheader]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_demo_shop(page, demo_db, use_db):
    use_db(demo_db)
    at = _render(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert _all_text(at).strip(), f"{page} drew nothing"


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_empty_database(page, empty_db, use_db):
    use_db(empty_db)
    at = _render(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    if page != "pages/data.py":
        assert "no orders yet" in _all_text(at), f"{page} shows no friendly empty state"


def test_missing_database_file_gets_friendly_page(tmp_path, use_db):
    use_db(tmp_path / "new-shop.duckdb")
    at = _render("pages/overview.py")
    assert not at.exception
    assert "no orders yet" in _all_text(at)


def test_sidebar_names_the_open_database(demo_db, use_db):
    use_db(demo_db)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    assert any(str(demo_db.name) in c.value for c in at.sidebar.text)
