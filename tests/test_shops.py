"""Shops side by side: the new-shop advice, a failed new shop leaving no file, deleting an import (recs and CLI),
orders-only data (CDNOW) on every page, and a session's shop switch staying in that session."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SHARED, open_page

from recs import db, metrics, shops
from recs.cli import main
from recs.errors import InputError, NotFound
from recs.importer import delete_import, import_files

CDNOW = SHARED / "cdnow" / "CDNOW_sample.txt"
HEADER = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture):
    """`python -m recs ...` run in this process (the same `main` the module runs), with its output."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_placement_advises_a_new_shop_for_foreign_data_and_adding_for_the_same_customers(
        demo_db: Path, tmp_path: Path) -> None:
    demo = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, demo)
    foreign = write(tmp_path / "other.csv", HEADER + "\nX1,zz1,2010-12-01,P,1,2\nX2,zz2,2011-01-01,P,1,2\n")
    con = db.connect(demo)
    try:
        advice = shops.placement(con, import_files(con, orders=foreign, dry_run=True))
        assert advice.new_shop and "demo" in advice.reason and not advice.dates_overlap
    finally:
        con.close()
    shop = tmp_path / "shop.duckdb"
    shops.create_shop(shop, orders=write(tmp_path / "jan.csv", HEADER + "\n1,a,2024-01-05,P,1,2\n2,b,2024-01-09,Q,1,3\n"))
    con = db.connect(shop)
    try:
        assert not shops.is_demo(con)
        feb = write(tmp_path / "feb.csv", HEADER + "\n3,a,2024-02-05,P,1,2\n4,c,2024-02-09,Q,1,3\n")
        advice = shops.placement(con, import_files(con, orders=feb, dry_run=True))
        assert not advice.new_shop and advice.shared_customers == 1  # a later export of the same shop: add
        advice = shops.placement(con, import_files(con, orders=foreign, dry_run=True))
        assert advice.new_shop and advice.shared_customers == 0
    finally:
        con.close()
    assert shops.list_shops(tmp_path) == sorted(p.resolve() for p in (demo, shop))
    with pytest.raises(InputError, match="already exists"):
        shops.new_shop_path(tmp_path, "Shop")
    assert shops.new_shop_path(tmp_path, "Online Retail!").name == "online-retail.duckdb"


def test_a_failed_import_to_a_new_path_leaves_no_file(tmp_path: Path, cli) -> None:
    bad = write(tmp_path / "bad.csv", HEADER + "\n1,a,yesterday,P,1,2\n")
    target = tmp_path / "new.duckdb"
    with pytest.raises(InputError, match="not a date"):
        shops.create_shop(target, orders=bad)
    assert not target.exists() and not Path(f"{target}.wal").exists()
    result = cli("import", "--db", str(target), "--orders", str(bad))
    assert result.returncode == 2 and "error:" in result.stderr
    assert list(tmp_path.iterdir()) == [bad]


def test_deleting_an_import_restores_the_figures_and_outdates_models(tmp_path: Path, cli) -> None:
    shop = tmp_path / "shop.duckdb"
    first = write(tmp_path / "a.csv", HEADER + "\n1,a,2024-01-05,P,1,2\n2,b,2024-01-09,Q,2,3\n")
    second = write(tmp_path / "b.csv", HEADER + "\n3,a,2024-02-05,P,1,2\n4,c,2024-02-09,R,1,5\n")
    shops.import_into(shop, orders=first)
    con = db.connect(shop)
    before, version = metrics.summary(con), db.orders_version(con)
    import_files(con, orders=second)
    assert db.orders_version(con) > version
    deletion = delete_import(con, 2)
    assert (deletion.lines_removed, deletion.products_removed) == (2, 1)  # R is sold by no line left
    assert metrics.summary(con).equals(before)
    assert db.orders_version(con) > 2  # the deletion is a new version: models trained on #2 are stale
    assert db.table_counts(con)["products"] == 2
    with pytest.raises(NotFound, match="no import #2"):
        delete_import(con, 2)
    again = import_files(con, orders=second)  # the file can come back
    assert not again[0].skipped_as_already_imported
    con.close()
    listed = cli("imports", "list", "--db", str(shop))
    assert listed.returncode == 0 and "deletion" in listed.stdout and "b.csv" in listed.stdout
    gone = cli("imports", "delete", "--db", str(shop), "--id", str(again[0].id))
    assert gone.returncode == 0 and "2 order lines removed" in gone.stdout
    missing = cli("imports", "delete", "--db", str(shop), "--id", "99")
    assert missing.returncode == 2 and missing.stderr.startswith("error: no import #99")


def test_cdnow_imports_as_an_orders_only_shop_and_counts_its_silent_losses(tmp_path: Path, cli) -> None:
    shop = tmp_path / "cdnow.duckdb"
    result = cli("import", "--db", str(shop), "--orders", str(CDNOW), "--format", "cdnow", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "no-sale custs           8" in result.stdout and "orders only" in result.stdout
    assert "so the figures will count 2,349 of this file's 2,357 customers" in result.stdout
    con = db.connect(shop, read_only=True)
    try:
        stored = con.execute("SELECT report FROM imports").fetchall()[0][0]
        assert '"customers": 2357' in stored and '"customers_without_sales": 8' in stored
        summary = metrics.summary(con).iloc[0]
        assert (summary["customers"], summary["orders"]) == (2357 - 8, 6688)  # 8 bought only $0 lines
        assert summary["revenue"] == pytest.approx(244091.94)
        assert not shops.has_products(con)
    finally:
        con.close()


@pytest.fixture(scope="module")
def cdnow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.duckdb"
    shops.create_shop(path, orders=CDNOW, fmt="cdnow")
    return path


@pytest.mark.parametrize("page", ["pages/recommendations.py", "pages/customer.py", "pages/product.py"])
def test_recommendation_pages_say_they_need_products(cdnow_db: Path, use_db, page: str) -> None:
    use_db(cdnow_db)
    at = open_page(page)
    assert any("has orders but no products" in i.value for i in at.info)


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/retention.py", "pages/customers.py", "pages/data.py"])
def test_manager_pages_work_on_an_orders_only_shop(cdnow_db: Path, use_db, page: str) -> None:
    use_db(cdnow_db)
    at = open_page(page)
    assert not at.error


def test_a_session_switch_stays_in_that_session(demo_db: Path, tmp_path: Path, use_db) -> None:
    demo = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, demo)
    shops.create_shop(tmp_path / "second.duckdb", orders=write(tmp_path / "s.csv", HEADER + "\n1,a,2024-01-05,P,1,2\n"))
    use_db(demo)
    one, two = open_page("pages/data.py"), open_page("pages/data.py")
    picker = one.sidebar.selectbox[0]
    assert picker.options == ["demo", "second"]
    picker.select_index(1).run()
    assert one.sidebar.text[0].value.endswith("second.duckdb")
    assert "The demo shop" not in " ".join(c.value for c in one.sidebar.caption)
    two.run()
    assert two.sidebar.text[0].value.endswith("demo.duckdb")
    assert any("The demo shop" in c.value for c in two.sidebar.caption)


def test_db_must_be_a_duckdb_file_or_a_new_path(tmp_path: Path, cli) -> None:
    orders = write(tmp_path / "orders.csv", HEADER + "\n1,a,2024-01-05,P,1,2\n")
    result = cli("import", "--db", str(orders), "--orders", str(orders))
    assert result.returncode == 2 and "is not a DuckDB file" in result.stderr
    assert orders.read_text().startswith(HEADER)


def test_the_url_names_the_shop_so_a_reload_stays_on_it(demo_db: Path, tmp_path: Path, use_db) -> None:
    demo = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, demo)
    shops.create_shop(tmp_path / "second.duckdb", orders=write(tmp_path / "s.csv", HEADER + "\n1,a,2024-01-05,P,1,2\n"))
    use_db(demo)
    at = open_page("pages/data.py")
    at.sidebar.selectbox[0].select_index(1).run()
    assert at.query_params["shop"] == "second"
    from streamlit.testing.v1 import AppTest

    reloaded = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    reloaded.query_params["shop"] = "second"
    reloaded.run()
    assert reloaded.sidebar.text[0].value.endswith("second.duckdb")
    stranger = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    stranger.query_params["shop"] = "../../etc/passwd"  # only names of the folder's shop files are taken
    stranger.run()
    assert stranger.sidebar.text[0].value.endswith("demo.duckdb")
