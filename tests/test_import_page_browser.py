"""Upload a CSV on the Data page in headless Chromium: preview, validation, import, new row counts, and the
upload is not kept on disk afterwards."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from conftest import wait_for_app

HEADER = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"


@pytest.mark.browser
def test_upload_check_and_import_in_chromium(empty_db: Path, streamlit_server, chromium, tmp_path: Path) -> None:
    upload = tmp_path / "browser_orders_7f3a.csv"
    upload.write_text(HEADER + "\n0042,007,2024-01-01 10:00,P1,2,1.5\n0043,,2024-01-02 11:00,P2,1,3\n")
    url = streamlit_server(empty_db)
    page = chromium.new_page()
    page.goto(f"{url}/data")
    wait_for_app(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
    page.get_by_text("ready to import").wait_for(timeout=60_000)
    wait_for_app(page)
    main = page.inner_text('[data-testid="stMain"]')
    assert "browser_orders_7f3a.csv: ready to import 2 of 2 rows" in main
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Import finished").wait_for(timeout=60_000)
    wait_for_app(page)
    main = page.inner_text('[data-testid="stMain"]')
    assert "imported 2 of 2 rows" in main
    assert not page.locator('[data-testid="stException"]').count()
    leftovers = list(Path(tempfile.gettempdir()).glob("repeat-upload-*/browser_orders_7f3a.csv"))
    assert leftovers == []
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="order lines")
    assert metric.locator('[data-testid="stMetricValue"]').inner_text().strip() == "2"
    # a second upload, an Excel workbook: its own preview (not the first file's) and its own check
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(HEADER.split(","))
    book.active.append(["0099", "C-7", "2024-02-01 09:00", "P9", 4, 2.25])
    second = tmp_path / "browser_orders_second.xlsx"
    book.save(second)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(second))
    page.get_by_text("browser_orders_second.xlsx: ready to import 1 of 1 rows").wait_for(timeout=60_000)
    wait_for_app(page)
    preview = " ".join(page.locator('[data-testid="stDataFrame"]').first.locator('[role="gridcell"]').all_inner_texts())
    assert "0099" in preview and "0042" not in preview
    page.close()
