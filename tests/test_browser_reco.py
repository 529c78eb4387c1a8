"""Train -> preview -> export in the real app (streamlit run) driven by headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

HEADER = "customer_id,rank,product_id,score,product_name,reason"


def _settle(page, text: str | None = None, timeout_ms: int = 90_000) -> None:
    """Wait for `text` to appear (the result of the last click), then for the script run to finish."""
    if text is not None:
        page.get_by_text(text).first.wait_for(timeout=timeout_ms)
    wait_for_app(page, timeout_ms)
    errors = [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]
    assert not errors, errors


def _nav(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).filter(
        has_not_text=f"{title}s").first.click()


def test_train_preview_export_in_chromium(demo_db: Path, tmp_path: Path, streamlit_server, chromium):
    shop = shutil.copy(demo_db, tmp_path / "shop.duckdb")
    url = streamlit_server(Path(shop))
    context = chromium.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/recommendations")
    _settle(page, "No model chosen yet")

    page.get_by_role("button", name="Train", exact=True).click()
    _settle(page, "stored it next to the database")
    assert "repeat" in page.inner_text('[data-testid="stMain"]')

    page.get_by_role("tab", name="Export").click()
    page.get_by_role("button", name="Build campaign list").click()
    _settle(page, "Download campaign list")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download campaign list").click()
    download = info.value
    assert download.suggested_filename == "campaign-repeat-all.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER and len(lines) > 1000

    _nav(page, "Customer")
    _settle(page, "Why this product?")
    main = page.inner_text('[data-testid="stMain"]')
    assert "Recommendations" in main and "Segment" in main
    assert page.locator('[data-testid="stDataFrame"]').count() >= 2
    assert "customer=" in page.url  # the chosen customer is in the address: a shareable deep link
    context.close()


def test_direct_page_urls_need_the_login(demo_db: Path, tmp_path: Path, streamlit_server, chromium):
    """A deep link straight to a page file must not show data before the password (Streamlit may run
    pages/x.py directly for /x without the app.py gate)."""
    shop = shutil.copy(demo_db, tmp_path / "shop.duckdb")
    url = streamlit_server(Path(shop), extra_env={"REPEAT_PASSWORD": "correct horse battery staple"})
    page = chromium.new_page()
    for path in ("customer?customer=C00001", "product", "recommendations"):
        page.goto(f"{url}/{path}")
        wait_for_app(page)
        main = page.inner_text('[data-testid="stMain"]')
        assert "log in" in main.lower() or "password" in main.lower(), main[:300]
        assert "Purchased products" not in main and "Similar products" not in main and "Model runs" not in main
    page.close()


def _stored(shop: Path) -> dict[str, int]:
    """Stored model files beside the database and their modification times (ns)."""
    folder = Path(f"{shop}.models")
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} if folder.exists() else {}


def test_cancel_training_keeps_the_previous_model(demo_db: Path, tmp_path: Path, streamlit_server, chromium):
    shop = Path(shutil.copy(demo_db, tmp_path / "shop.duckdb"))
    url = streamlit_server(shop)
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/recommendations")
    _settle(page, "No model chosen yet")
    page.get_by_role("button", name="Train", exact=True).click()
    _settle(page, "stored it next to the database")
    before = _stored(shop)
    assert before

    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Model").first
    box.click()
    page.keyboard.type("hybrid")
    page.keyboard.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Train", exact=True).click()
    cancel = page.get_by_role("button", name="Cancel training")
    cancel.wait_for(timeout=60_000)
    page.get_by_text("hybrid").first.wait_for()
    cancel.click()
    _settle(page, "Training of hybrid was cancelled", timeout_ms=180_000)
    assert _stored(shop) == before  # nothing written, nothing replaced
    main = page.inner_text('[data-testid="stMain"]')
    assert "Trained hybrid" not in main and "Cancel training" not in main
    page.close()
