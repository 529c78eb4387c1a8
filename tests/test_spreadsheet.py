"""CSV formula injection (OWASP): text cells a spreadsheet would run get a leading ', in campaign lists and metric
files, page downloads and CLI alike; numbers stay numbers."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from recs.spreadsheet import csv_bytes, neutralise_cell, neutralise_formulas
from tests.conftest import REPO
from tests.odd_shops import HOSTILE, build_shop


@pytest.mark.parametrize(("value", "expected"), [
    ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("+SUM(1+1)", "'+SUM(1+1)"), ("@SUM(1)", "'@SUM(1)"), ("-2+3", "'-2+3"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-42", "-42"), ("+3.5e2", "+3.5e2"), ("-.5", "-.5"),  # plain numbers run nothing: left alone
    ("plain", "plain"), ("a=b", "a=b"), ("", ""), (None, None), (-1.5, -1.5),
])
def test_cells(value, expected) -> None:
    assert neutralise_cell(value) == expected


def test_numeric_columns_stay_numeric_and_the_frame_is_not_changed() -> None:
    frame = pd.DataFrame({"customer_id": ["=1+1", "c2"], "score": [-0.5, 1e-17], "rank": [1, 2],
                          "segment": pd.Categorical(["@x", "ok"])})
    out = neutralise_formulas(frame)
    assert out["customer_id"].tolist() == ["'=1+1", "c2"] and out["segment"].tolist() == ["'@x", "ok"]
    assert frame["customer_id"].tolist() == ["=1+1", "c2"]  # a copy: the table on screen keeps the raw text
    back = pd.read_csv(io.BytesIO(csv_bytes(frame)))
    assert back["score"].tolist() == [-0.5, 1e-17] and back["rank"].tolist() == [1, 2]
    plain = pd.DataFrame({"a": ["x"], "b": [-1]})
    assert neutralise_formulas(plain) is plain


@pytest.fixture(scope="module")
def hostile_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shop("hostile", tmp_path_factory.mktemp("hostile"))


def test_campaign_and_metric_csvs_from_the_cli_are_neutralised(hostile_shop: Path, tmp_path: Path) -> None:
    out = tmp_path / "campaign.csv"
    done = subprocess.run([sys.executable, "-m", "recs", "recommend", "--db", str(hostile_shop), "--model",
                           "popular", "--k", "3", "--intent", "rebuy", "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    campaign = pd.read_csv(out, dtype={"customer_id": str})
    assert "'" + HOSTILE["customer"] in set(campaign["customer_id"])
    assert HOSTILE["customer"] not in set(campaign["customer_id"])
    assert "-42" in set(campaign["customer_id"])  # a plain number stays as it is
    assert (campaign.loc[campaign["product_id"].isin(["P12", "P13"]), "product_name"]
            == "'" + HOSTILE["product_name"]).all()
    assert pd.api.types.is_float_dtype(campaign["score"])
    rfm = subprocess.run([sys.executable, "-m", "recs", "metrics", "rfm", "--db", str(hostile_shop), "--out", "-"],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert rfm.returncode == 0, rfm.stderr
    ids = set(pd.read_csv(io.StringIO(rfm.stdout), dtype={"customer_id": str})["customer_id"])
    assert "'" + HOSTILE["customer"] in ids and HOSTILE["customer"] not in ids


def test_page_downloads_serve_the_same_neutralised_bytes() -> None:
    """The pages' download buttons (pages.parts.common.download_csv, metric_help) build their bytes with
    recs.spreadsheet.csv_bytes / recs.metrics.csv_bytes: checked in their source, as AppTest cannot click one."""
    common = (REPO / "pages" / "parts" / "common.py").read_text()
    assert "spreadsheet.csv_bytes(table)" in common and ".to_csv(" not in common
    assert "metrics.csv_bytes(" in (REPO / "pages" / "parts" / "metric_help.py").read_text()
