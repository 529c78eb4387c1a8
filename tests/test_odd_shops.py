"""Odd shops never crash: one product, one customer, $0 lines only for some customers, data that ends today.

Every page (AppTest, each page file through the app's frame) and every CLI command (in process, through
`recs.cli.main`, the same entry as `python -m recs`) on each shop: no exception, and where something cannot be
done the page shows a box and the CLI prints one `error:` line and exits 2. An orders-only shop (no product
columns) opens every page and runs every command too: recommending and evaluating say they need products. The
servers (`serve`, `api`) have their own tests.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recs import cli
from tests.conftest import REPO
from tests.odd_shops import KINDS, ORDERS_ONLY, build_shop

ALL_KINDS = (*KINDS, ORDERS_ONLY)

PAGES = sorted(p.name for p in (REPO / "pages").glob("*.py") if p.name != "__init__.py")


@pytest.fixture(scope="module")
def shops(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("odd")
    return {kind: build_shop(kind, folder) for kind in ALL_KINDS}


@pytest.fixture
def shop(request, shops, tmp_path, use_db) -> Path:
    """A private copy of one odd shop (pages train and store runs next to it)."""
    return use_db(Path(shutil.copy(shops[request.param], tmp_path / f"{request.param}.duckdb")))


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _cutoff(kind: str) -> str:
    return str(dt.date.today() - dt.timedelta(days=30)) if kind == "ends_today" else "2024-06-01"


@pytest.mark.parametrize("shop", ALL_KINDS, indirect=True)
def test_every_page_opens(shop):
    for page in PAGES:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
        at.switch_page(f"pages/{page}")
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])


@pytest.mark.parametrize("shop", KINDS, indirect=True)
def test_recommendations_page_trains_exports_and_evaluates(shop):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.switch_page("pages/recommendations.py")
    at.run()
    _no_exception(at)
    for name in ("popular", "als"):  # als: the factor model that could not fit a one-product shop
        at.selectbox(key="train-model").set_value(name)
        at.run()
        at.button(key="train-button").click()
        at.run()
        _no_exception(at)
    at.radio(key="rules-intent-als").set_value("discovery")
    at.button(key="FormSubmitter:rules-form-Apply rules").click()
    at.run()
    at.button(key="FormSubmitter:export-form-Build campaign list").click()
    at.run()
    _no_exception(at)
    built = at.session_state["reco_campaign"]["campaign"] if "reco_campaign" in at.session_state else None
    if built is not None and built.without:
        assert any("got no product" in w.value or "No customer got any product" in w.value for w in at.warning)
    at.run()  # a later visit in the same session
    _no_exception(at)
    at.multiselect(key="eval-models").set_value(["popular", "als"])
    at.button(key="FormSubmitter:eval-form-Run evaluation").click()
    at.run()
    _no_exception(at)
    if shop.stem == "one_product":  # every test purchase is a re-buy: "new" is blank, and the page says why
        assert any("Blank figures" in i.value and "no test customer" in i.value for i in at.info)


@pytest.mark.parametrize("shop", ["one_product"], indirect=True)
def test_a_model_that_cannot_fit_says_so_in_one_red_box(shop):
    """ALS whose factors come out NaN (no regularization, one product): a red box, progress bar and Cancel gone."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.switch_page("pages/recommendations.py")
    at.run()
    at.selectbox(key="train-model").set_value("als")
    at.run()
    at.number_input(key="train-als-regularization").set_value(0.0)
    at.button(key="train-button").click()
    at.run()
    _no_exception(at)
    assert [e.value for e in at.error if "model als cannot learn from this shop's data" in e.value]
    assert not at.get("progress") and "train-cancel" not in [b.key for b in at.button]
    at.run()  # and the next visit is quiet
    _no_exception(at)


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    if code == 2:
        assert out.err.strip().splitlines()[-1].startswith("error: "), out.err
        assert len([line for line in out.err.splitlines() if line.startswith("error: ")]) == 1
    return code, out.out, out.err


@pytest.mark.parametrize("shop", ALL_KINDS, indirect=True)
def test_every_cli_command(shop, capsys, tmp_path):
    kind = shop.stem
    db = ["--db", str(shop)]
    for metric in ("summary", "retention", "repurchase", "repeat_within", "time_to_second", "rfm"):
        assert _cli(capsys, "metrics", metric, *db, "--out", "-")[0] == 0, metric
    assert _cli(capsys, "settings", *db)[0] == 0
    assert _cli(capsys, "imports", "list", *db)[0] == 0
    assert _cli(capsys, "abtest", *db, "--out", str(tmp_path / "ab.csv"))[0] in (0, 2)
    code, _, err = _cli(capsys, "train", *db, "--model", "popular", "--quiet")  # every model: the contract test
    assert code in (0, 2), err
    assert _cli(capsys, "models", "--trained", *db)[0] == 0
    assert _cli(capsys, "models")[0] == 0
    for model in ("repeat", "item_knn"):
        code, out, err = _cli(capsys, "recommend", *db, "--model", model, "--out", "-")
        assert code in (0, 2), err
        if kind == "one_product" and model == "item_knn":  # discovery on one product: nothing, and why
            assert code == 2 and "already bought all 1 product(s)" in err
        if kind == ORDERS_ONLY:
            assert code == 2 and "orders but no products" in err
        if code == 0:
            assert out.startswith("customer_id,rank,product_id,score,product_name,reason")
    code, out, err = _cli(capsys, "evaluate", *db, "--cutoff", _cutoff(kind), "--models", "popular,repeat",
                          "--out", "-")
    assert code in (0, 2), err
    if kind == ORDERS_ONLY:
        assert code == 2 and "orders but no products" in err
    if kind == "one_product":
        assert code == 0 and "note: blank figures: new: no test customer" in err
        assert ",0," in out and "wrote standard output" in err
    if kind == "one_product":
        code, _, err = _cli(capsys, "train", *db, "--model", "als", "--param", "regularization=0", "--quiet")
        assert code == 2 and "model als cannot learn from this shop's data" in err
    assert _cli(capsys, "export-lake", *db, "--out", str(tmp_path / "lake"))[0] in (0, 2)
    assert _cli(capsys, "refresh", *db, "--model", "popular")[0] in (0, 2)
