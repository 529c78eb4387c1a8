"""Shops in headless Chromium: a workbook with a far stray cell refused (the server lives on), upload a second shop
beside the demo, switch between them in the sidebar (one tab's
switch never shows in another), and delete an import."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import wait_for_app
from openpyxl import Workbook

HEADER = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"


def sidebar_text(page) -> str:
    return page.inner_text('[data-testid="stSidebar"]')


def pick_shop(page, name: str, path: Path) -> None:
    """Choose shop `name` in the sidebar and wait until the sidebar names its file."""
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').click()
    page.locator('[role="option"]').filter(has_text=name).first.click()
    page.locator('[data-testid="stSidebar"]').get_by_text(str(path), exact=True).wait_for(timeout=60_000)
    wait_for_app(page)


@pytest.mark.browser
def test_a_second_shop_switch_and_delete_in_chromium(demo_db: Path, streamlit_server, chromium,
                                                     tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    demo = folder / "demo.duckdb"
    shutil.copy(demo_db, demo)
    upload = tmp_path / "Garden Shop.csv"
    upload.write_text(HEADER + "\ng1,anna,2019-03-01 10:00,rake,1,20\ng2,ben,2019-03-02 11:00,hose,2,15\n"
                      "g3,anna,2019-04-01 09:00,seeds,3,2.5\n")
    url = streamlit_server(demo)
    page = chromium.new_page()
    page.goto(f"{url}/data")
    wait_for_app(page)
    assert "The demo shop" in sidebar_text(page)
    far = tmp_path / "far_cell.xlsx"  # one stray cell at XFD1048576 used to kill the server (549 GB asked)
    book = Workbook()
    book.active.append(HEADER.split(","))
    book.active["XFD1048576"] = "x"
    book.save(far)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(far))
    page.get_by_text("cell as far as XFD1048576").wait_for(timeout=60_000)
    wait_for_app(page)
    assert list(Path(tempfile.gettempdir()).glob("repeat-upload-*/far_cell.xlsx")) == []
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
    page.get_by_text("ready to import").wait_for(timeout=60_000)
    wait_for_app(page)
    main = page.inner_text('[data-testid="stMain"]')
    assert "Suggested: new shop from this file, because this shop is the demo" in main
    assert "Import will create the shop garden-shop" in main and "then this browser tab switches to it" in main
    page.locator('[data-testid="stBaseButton-primary"]').filter(has_text="Import").click()
    page.get_by_text("New shop garden-shop created").wait_for(timeout=60_000)
    wait_for_app(page)
    assert (folder / "garden-shop.duckdb").exists()
    assert str(folder / "garden-shop.duckdb") in sidebar_text(page)
    assert "The demo shop" not in sidebar_text(page)
    assert "shop=garden-shop" in page.url
    main = page.inner_text('[data-testid="stMain"]')  # the file still in the uploader: the page's own words
    assert "already imported (import #1" in main and "tick If this exact file was imported before" in main
    assert "--replace" not in main
    delete_choice = page.get_by_role("combobox", name="Import to delete").input_value()
    assert delete_choice.startswith("#1 orders: Garden_Shop.csv"), delete_choice  # not the demo's import #1
    page.reload()  # a new session, but the URL names the shop
    wait_for_app(page)
    assert str(folder / "garden-shop.duckdb") in sidebar_text(page)

    other = chromium.new_page()  # another browser session still looks at the demo
    other.goto(f"{url}/data")
    wait_for_app(other)
    assert str(demo) in sidebar_text(other) and "The demo shop" in sidebar_text(other)
    other.close()

    page.get_by_text("Yes, delete this import").click()
    wait_for_app(page)
    page.get_by_role("button", name="Delete import").click()
    page.get_by_text("deleted import #1").wait_for(timeout=60_000)
    wait_for_app(page)
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="order lines")
    assert metric.locator('[data-testid="stMetricValue"]').inner_text().strip() == "0"

    pick_shop(page, "demo", demo)
    assert str(demo) in sidebar_text(page) and "The demo shop" in sidebar_text(page)
    pick_shop(page, "garden-shop", folder / "garden-shop.duckdb")
    assert str(folder / "garden-shop.duckdb") in sidebar_text(page)
    assert not page.locator('[data-testid="stException"]').count()
    page.close()
