"""Every metric on Spark (local[2]) equals DuckDB, on Online Retail and on a small demo shop; bad input is one line.

One Spark session for the whole file (each lake gets its own SQL session on it). Every metric file is run (the
list comes from recs/metrics/sql/, so a new metric is covered, and one whose SQL does not run on Spark fails
here); counts must be exact, shares within 1e-9, money within 1e-6.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recs import db, metrics
from recs.metrics.loader import metric_names, run
from recs.metrics.meta import definition
from recs.spark.engine import open_engine, stop_engines
from recs.spark.lake import export_lake
from tests.conftest import REPO

PARAMS = {"start": None, "end": None, "country": None, "category": None, "grain": "month",
          "days": [30.0, 60.0, 90.0], "as_of": None}
MONEY_TOLERANCE, SHARE_TOLERANCE = 1e-6, 1e-9


# The tests' JVM compiles with C1 only: for a few hundred short queries it halves Spark's CPU time (the optimising
# compiler's work never pays back in a run this short); results are the same.
TEST_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1"


@pytest.fixture(scope="module")
def shops(tmp_path_factory, retail_db: Path) -> dict[str, tuple[Path, object]]:
    """name -> (DuckDB file, SparkEngine over its lake): Online Retail and a 600-customer demo shop."""
    from recs.spark import session

    patch = pytest.MonkeyPatch()
    patch.setitem(session.SESSION_CONF, "spark.driver.extraJavaOptions", TEST_JAVA_OPTIONS)
    root = tmp_path_factory.mktemp("spark")
    demo = root / "demo.duckdb"
    subprocess.run([sys.executable, "-m", "recs", "demo", "--db", str(demo), "--customers", "600", "--quiet"],
                   check=True, cwd=REPO)
    out = {}
    for name, path in (("retail", retail_db), ("demo", demo)):
        con = db.connect(path, read_only=True)
        try:
            export_lake(con, root / f"{name}-lake")
        finally:
            con.close()
        out[name] = (path, open_engine(root / f"{name}-lake"))
    yield out
    stop_engines()
    patch.undo()


def _unit(meta, column: str) -> str | None:
    """The column's unit from the metric's metadata (None for a column it does not list, e.g. a long frame's)."""
    try:
        return meta.column(column).unit if meta is not None else None
    except (KeyError, ValueError, LookupError):
        return None


def assert_same(name: str, duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    """Same columns, rows and types; counts and text exact, shares within 1e-9, money within 1e-6."""
    assert list(spark.columns) == list(duck.columns), name
    assert len(spark) == len(duck), name
    try:
        meta = definition(name)
    except KeyError:
        meta = None
    for column in duck.columns:
        a, b = duck[column], spark[column]
        if pd.api.types.is_float_dtype(a):
            unit = _unit(meta, column)
            tolerance = MONEY_TOLERANCE if unit == "money" else SHARE_TOLERANCE
            assert pd.api.types.is_float_dtype(b), (name, column, b.dtype)
            assert (a.isna() == b.isna()).all(), (name, column)
            np.testing.assert_allclose(b.fillna(0), a.fillna(0), rtol=0, atol=tolerance, err_msg=f"{name}.{column}")
        else:
            assert a.dtype == b.dtype, (name, column, a.dtype, b.dtype)
            pd.testing.assert_series_equal(b, a, check_names=False, obj=f"{name}.{column}")


@pytest.mark.parametrize("shop", ["retail", "demo"])
@pytest.mark.parametrize("name", metric_names())
def test_every_metric_equal_on_both_engines(shops, shop: str, name: str) -> None:
    path, engine = shops[shop]
    con = db.connect(path, read_only=True)
    try:
        duck = run(con, name, PARAMS)
    finally:
        con.close()
    assert_same(name, duck, run(engine, name, PARAMS))


def test_filtered_and_weekly_figures_equal(shops) -> None:
    """A window, a country, a category and the week grain: the sub-shop path (_shop_filtered.sql) on both."""
    cases = {"retail": (("retention", lambda c, f: metrics.retention(c, "week", f)),
                        ("summary", lambda c, f: metrics.summary(c, f))),
             "demo": (("repeat_within", lambda c, f: metrics.repeat_within_long(c, "7,30.5", f, "week")),
                      ("summary", lambda c, f: metrics.summary(c, f)))}
    for shop, calls in cases.items():
        path, engine = shops[shop]
        con = db.connect(path, read_only=True)
        try:
            first, last = metrics.date_range(con)
            window = metrics.Filters(start=first + (last - first) / 3, end=first + 2 * (last - first) / 3)
            sub = (metrics.Filters(country=metrics.countries(con)[-1], end=last) if shop == "retail" else
                   metrics.Filters(category=metrics.categories(con)[0], start=first + (last - first) / 4))
            for (name, call), filters in zip(calls, (window, sub), strict=True):
                assert_same(name, call(con, filters), call(engine, filters))
        finally:
            con.close()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recs", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=600)


def test_cli_spark_engine_writes_the_same_csv_bytes(shops, tmp_path, capsys) -> None:
    """The command's own code path (in this process, on the file's Spark session: a new JVM per test costs
    minutes on a loaded machine); the DuckDB side is the real CLI."""
    from recs.cli import main

    path, engine = shops["demo"]
    duck = _cli("metrics", "retention", "--db", str(path), "--out", str(tmp_path / "duck.csv"))
    assert duck.returncode == 0, duck.stderr
    assert main(["metrics", "retention", "--engine", "spark", "--lake", engine.lake, "--out",
                 str(tmp_path / "spark.csv")]) == 0
    assert (tmp_path / "spark.csv").read_bytes() == (tmp_path / "duck.csv").read_bytes()
    assert "Exception" not in capsys.readouterr().err


def _one_line_error(result: subprocess.CompletedProcess, *words: str) -> str:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "\tat " not in result.stderr and "Exception" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _main_error(capsys, *args: str) -> str:
    """The CLI's `main` in this process (what `python -m recs` runs, without paying for a new interpreter):
    exit code 2 and one `error:` line, no Java or Python trace."""
    from recs.cli import main

    capsys.readouterr()
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "\tat " not in err and "Exception" not in err
    return lines[0]


def test_bad_lakes_and_masters_are_one_line_errors(shops, tmp_path, capsys) -> None:
    _, engine = shops["demo"]
    lake = Path(engine.lake)
    missing = tmp_path / "missing-table"
    missing.mkdir()
    for part in ("orders", "products"):
        (missing / part).symlink_to(lake / part)
    for args, words in (((str(missing),), ("order_lines", "missing")), ((str(tmp_path / "nope"),), ("no such",)),
                        ((str(lake), "--spark-master", "yarn"), ("--spark-master",))):
        line = _main_error(capsys, "metrics", "summary", "--engine", "spark", "--lake", *args)
        assert all(word in line for word in words), line
    assert "--lake" in _main_error(capsys, "metrics", "summary", "--engine", "spark")
    # one through a real process: the error a user sees on the command line
    _one_line_error(_cli("metrics", "summary", "--engine", "spark", "--lake", str(lake),
                         "--spark-master", "spark://127.0.0.1:9"), "does not answer")


def test_a_lake_with_another_schema_is_refused(shops, tmp_path, capsys) -> None:
    path, _ = shops["demo"]
    import duckdb

    lake = tmp_path / "odd-lake"
    con = db.connect(path, read_only=True)
    export_lake(con, lake)
    con.close()
    target = next((lake / "orders").glob("month=*/*.parquet"))
    with duckdb.connect() as scratch:  # revenue written as text: a lake made by another tool, wrongly
        scratch.execute("COPY (SELECT * REPLACE (CAST(revenue AS VARCHAR) AS revenue) FROM read_parquet($p)) "
                        "TO $out (FORMAT parquet)", {"p": str(target), "out": str(target) + ".tmp"})
    Path(str(target) + ".tmp").replace(target)
    for other in (lake / "orders").glob("month=*/*.parquet"):
        if other != target:
            other.unlink()
    from recs.cli import main

    assert main(["metrics", "summary", "--engine", "spark", "--lake", str(lake)]) == 2  # in this process: no new JVM
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "revenue" in lines[0] and "string" in lines[0], err
    assert "Exception" not in err and "\tat " not in err


def test_no_java_is_one_line_error(shops) -> None:
    _, engine = shops["demo"]
    env_path = "/nonexistent"
    result = subprocess.run([sys.executable, "-m", "recs", "metrics", "summary", "--engine", "spark", "--lake",
                             engine.lake], capture_output=True, text=True, cwd=REPO, timeout=120,
                            env={"PATH": env_path, "HOME": str(REPO), "PYTHONPATH": str(REPO)})
    _one_line_error(result, "Java")


# ---- the app on Spark ---------------------------------------------------------------------------------------------
def test_overview_draws_from_spark_and_says_so(shops, use_db, monkeypatch) -> None:
    """Overview through the real app on Spark (Retention and Customers take their cursor the same way:
    pages/parts/common.metrics_cursor)."""
    from tests.conftest import open_page

    path, engine = shops["demo"]
    use_db(path)
    monkeypatch.setenv("REPEAT_ENGINE", "spark")
    monkeypatch.setenv("REPEAT_LAKE", engine.lake)
    at = open_page("pages/overview.py")
    assert any("Figures computed by Spark" in c.value for c in at.caption), [c.value for c in at.caption]


def test_warehouse_pages_say_what_they_need(shops, use_db, monkeypatch) -> None:
    from tests.conftest import open_page

    path, engine = shops["demo"]
    use_db(path)
    monkeypatch.setenv("REPEAT_ENGINE", "spark")
    monkeypatch.setenv("REPEAT_LAKE", engine.lake)
    at = open_page("pages/data.py")
    assert any("not the Spark lake" in i.value for i in at.info)


# ---- ALS on Spark -------------------------------------------------------------------------------------------------
def test_spark_als_round_trips_to_a_repeat_model_file(shops, tmp_path) -> None:
    from recs.models import get_class
    from recs.models.store import load_run
    from recs.spark.als import train_spark_als

    path, engine = shops["demo"]
    db_copy = tmp_path / "shop.duckdb"
    db_copy.write_bytes(path.read_bytes())
    run = train_spark_als(engine, db_copy, params={"factors": 8, "iterations": 3})
    assert run.fingerprint is not None  # the lake came from this warehouse: the run is current there
    again = load_run(db_copy, run.run_id)
    assert type(again.model) is get_class("als") and again.extra.get("engine") == "spark"
    np.testing.assert_array_equal(again.model.user_factors_, run.model.user_factors_)
    assert again.model.user_factors_.shape == (run.customers, 8)
    pd.testing.assert_frame_equal(again.model.recommend(k=5), run.model.recommend(k=5))


def test_spark_trained_als_passes_the_model_contract(shops, monkeypatch, tmp_path) -> None:
    """The contract suite's checks on fitted models, each run on an `als` whose factors Spark MLlib fitted, as its
    model file loads (a plain `als`: what preview, export and the service read)."""
    from recs.models import get_class, get_model
    from recs.spark.als import SparkFactorsALS, spark_factors
    from tests import test_models_contract as contract

    session = shops["demo"][1].session
    cache: dict[int, object] = {}

    def spark_fitted(name: str, data):
        if id(data) not in cache:
            plain = get_model(name, factors=8, iterations=5)
            model = SparkFactorsALS(spark_factors(session, data, plain), **plain.get_params()).fit(data)
            model.save(tmp_path / f"spark-{len(cache)}.npz")
            cache[id(data)] = get_class(name).load(tmp_path / f"spark-{len(cache)}.npz")
        return cache[id(data)]

    monkeypatch.setattr(contract, "fitted", spark_fitted)
    data = contract.small_data()
    checks = [contract.test_output_columns_types_and_ranks, contract.test_excluded_purchases_never_appear,
              contract.test_unknown_and_historyless_customers_get_popular, contract.test_never_bought_product,
              contract.test_rules_are_honoured, contract.test_k_larger_than_catalogue, contract.test_bad_requests,
              contract.test_a_fitted_model_is_read_only, contract.test_score_contract_and_reasons_equal_explain]
    for check in checks:
        check("als", data)
    contract.test_save_load_round_trip("als", data, tmp_path)
    contract.test_model_file_holds_no_pickle_and_old_files_load("als", data, tmp_path)


def test_train_refuses_other_models_on_spark_before_starting_it(shops) -> None:
    _, engine = shops["demo"]
    _one_line_error(_cli("train", "--engine", "spark", "--lake", engine.lake, "--model", "ease"), "als")
