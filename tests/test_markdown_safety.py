"""Text from files and from the user is shown as text, never read as Markdown (an image link in a category, an
experiment or variant name, a file's bad row, a rule or one's own search text would make every viewer's browser
fetch the URL): AppTest on a shop holding such values, every Markdown-rendering element checked."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pages.parts.common import plain
from recs.errors import InputError
from tests.conftest import REPO
from tests.odd_shops import HOSTILE, build_shop

IMAGE = "![x](http://host/x.png)"


def _unescaped_markdown(text: str) -> bool:
    """An image or link that Markdown would render: `![..](` or `](` not escaped, outside inline code spans."""
    outside = re.sub(r"`[^`]*`", "", text)
    return bool(re.search(r"(?<!\\)!(?<!\\)\[", outside) or re.search(r"(?<!\\)\]\(", outside)
                or re.search(r"(?<!\\)\]\\?\(http", outside))


def _rendered(at: AppTest) -> list[str]:
    texts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success", "title",
                                  "subheader") for e in getattr(at, kind)]
    texts += [str(m.value) for m in at.metric] + [str(m.label) for m in at.metric]
    return [str(t) for t in texts]


def _safe(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    bad = [t for t in _rendered(at) if _unescaped_markdown(t)]
    assert not bad, bad


def test_plain_escapes_everything_markdown_reads() -> None:
    text = plain(f"row 3: {IMAGE!r} costs $5 or $6 :red[x] **b** <img>")
    assert not _unescaped_markdown(text)
    assert text.replace("\\", "") == f"row 3: {IMAGE!r} costs $5 or $6 :red[x] **b** <img>"  # the same characters
    assert "\\$5" in text and ":red\\[" in text and "\\*\\*b" in text and "\\<img\\>" in text


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from recs.db import connect
    from recs.importer import import_files

    folder = tmp_path_factory.mktemp("md")
    path = build_shop("hostile", folder)
    customers = [f"C{i}" for i in range(40)]
    assignments = pd.DataFrame({"experiment_id": HOSTILE["category"], "customer_id": customers,
                                "variant": ["control" if i % 2 else IMAGE for i in range(40)],
                                "assigned_at": "2024-03-01"})
    assignments.to_csv(folder / "assignments.csv", index=False)
    con = connect(path)
    import_files(con, assignments=folder / "assignments.csv")
    con.close()
    return path


@pytest.fixture
def shop(hostile, tmp_path, use_db) -> Path:
    return use_db(Path(shutil.copy(hostile, tmp_path / "shop.duckdb")))


def _page(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.switch_page(page)
    at.query_params.update(query or {})
    at.run()
    return at


def test_a_category_on_the_product_page(shop):
    at = _page("pages/product.py", {"product": "P12"})
    assert any("host/cat.png" in str(m.value).replace("\\", "") for m in at.metric)  # the category is there, as text
    _safe(at)
    at.text_input(key="product-search").set_value(IMAGE).run()  # one's own search text
    _safe(at)


def test_experiment_and_variant_names_on_the_experiments_page(shop):
    at = _page("pages/experiments.py")
    assert "host/x.png" in "\n".join(_rendered(at)).replace("\\", "")  # the variant is named, as text
    _safe(at)


def test_search_text_and_rules_on_the_customer_and_recommendations_pages(shop):
    at = _page("pages/customer.py")
    at.text_input(key="customer-search").set_value(IMAGE).run()
    _safe(at)
    at = _page("pages/recommendations.py")
    at.selectbox(key="train-model").set_value("popular").run()
    at.button(key="train-button").click().run()
    at.text_input(key="rules-pin").set_value(IMAGE)
    at.button(key="FormSubmitter:rules-form-Apply rules").click().run()
    assert any("host/x.png" in w.value.replace("\\", "") for w in at.warning)  # named as not applied, as text
    _safe(at)


def test_a_bad_file_row_in_an_error_box_is_text(shop):
    """The Data page's error box shows an importer message naming the file's rows: `show_error` / `plain`."""
    at = _page("pages/data.py")
    _safe(at)
    message = str(InputError(f"orders.csv, column quantity: not a number in row 2: {IMAGE!r}"))
    assert not _unescaped_markdown(plain(message))
    source = (REPO / "pages" / "data.py").read_text()
    assert "st.error(result)" not in source and "st.error(common.plain(result))" in source
