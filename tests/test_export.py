"""Campaign lists (recs.export) and `python -m recs recommend` on a small hand-built warehouse.

Oracles: the LINES table below (who bought what before the cutoff), worked out with plain Python.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from recs import cli
from recs.db import connect, refresh_derived
from recs.errors import InputError
from recs.export import EXPORT_COLUMNS, campaign_customers, campaign_list, fit_model
from recs.rules import Rules
from tests.conftest import REPO

CUTOFF = "2024-03-01"
PRODUCTS = [
    ("A", "Apple mug", "Kitchen", True, True, 2.0),
    ("B", "Bread bin", "Kitchen", True, True, 3.0),
    ("C", "Cushion", "Textile", True, True, 5.0),
    ("D", "Duster", "Textile", True, True, 1.0),
    ("E", "Easel", "Garden", True, False, 10.0),
    ("F", "Fork set", "Kitchen", True, True, 4.0),
    ("POST", "Postage", "Fees", False, True, 5.0),
]
# (order_id, customer_id, day, product_id)
LINES = [
    ("O1", "C1", "2024-01-05", "A"), ("O1", "C1", "2024-01-05", "B"), ("O2", "C1", "2024-02-10", "A"),
    ("O3", "C2", "2024-01-06", "A"), ("O3", "C2", "2024-01-06", "C"), ("O4", "C2", "2024-02-20", "A"),
    ("O5", "C3", "2024-01-10", "B"), ("O5", "C3", "2024-01-10", "POST"),
    ("O6", "C4", "2024-02-01", "A"), ("O6", "C4", "2024-02-01", "D"),
    ("O7", "C5", "2024-02-15", "C"),
    ("O8", "C6", "2024-03-05", "A"),  # after the cutoff only: not in a list trained before it
    ("O9", "C1", "2024-03-10", "E"),
    ("O10", None, "2024-01-20", "A"),  # guest
]
BEFORE = {"C1", "C2", "C3", "C4", "C5"}


def bought_before(cutoff: str | None = CUTOFF) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for _, cust, day, product in LINES:
        if cust is not None and (cutoff is None or day < cutoff) and product != "POST":
            out.setdefault(cust, set()).add(product)
    return out


def build(path: Path) -> Path:
    con = connect(path)
    con.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?, ?)", PRODUCTS)
    rows = [(o, i, c, f"{d} 10:00", p, 1.0, 2.0, "completed") for i, (o, c, d, p) in enumerate(LINES)]
    con.executemany("INSERT INTO order_lines VALUES (?, ?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, 'UK', 1)", rows)
    refresh_derived(con)
    con.close()
    return path


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("export") / "small.duckdb")


@pytest.fixture
def con(small_db: Path):
    con = connect(small_db)
    yield con
    con.close()


def _check_shape(frame: pd.DataFrame, customers: set[str], k: int) -> None:
    assert list(frame.columns) == EXPORT_COLUMNS
    assert set(frame["customer_id"]) == customers
    assert not frame.duplicated(["customer_id", "rank"]).any()
    assert not frame.duplicated(["customer_id", "product_id"]).any()
    for _, group in frame.groupby("customer_id"):
        assert list(group["rank"]) == list(range(1, len(group) + 1))
        assert 1 <= len(group) <= k


def test_campaign_covers_every_customer_seen_before_the_cutoff(con):
    model = fit_model(con, "popular", until=CUTOFF).model
    campaign = campaign_list(con, model, k=3)
    _check_shape(campaign.frame, BEFORE, 3)
    assert campaign.customers == len(BEFORE) and campaign.held_out == 0
    assert set(campaign_customers(con, CUTOFF)) == BEFORE
    # trained on all data, the customer seen only after the old cutoff is in too
    everyone = fit_model(con, "popular").model
    assert set(campaign_list(con, everyone, k=2).frame["customer_id"]) == BEFORE | {"C6"}


def test_purchased_products_are_excluded_unless_asked(con):
    model = fit_model(con, "popular", until=CUTOFF).model
    history = bought_before()
    frame = campaign_list(con, model, k=4).frame
    for cust, group in frame.groupby("customer_id"):
        assert not set(group["product_id"]) & history[cust], cust
    assert "POST" not in set(frame["product_id"])
    again = campaign_list(con, model, k=4, rules=Rules(exclude_purchased=False)).frame
    # A is the best seller before the cutoff (C1, C2, C4 bought it): popular puts it first for everyone
    assert set(again.loc[again["rank"] == 1, "product_id"]) == {"A"}
    assert (again["product_id"] == "A").sum() == len(BEFORE)


def test_rules_apply_to_the_export(con):
    model = fit_model(con, "popular", until=CUTOFF).model
    frame = campaign_list(con, model, k=5, rules=Rules(include_categories=["Kitchen"])).frame
    assert set(frame["product_id"]) <= {"A", "B", "F"}


def test_segment_filter(con):
    from recs.metrics import Filters, rfm_segments, segment_names

    model = fit_model(con, "popular", until=CUTOFF).model
    rfm = rfm_segments(con, filters=Filters(end=pd.Timestamp(CUTOFF).date()))
    assert set(rfm["customer_id"]) == BEFORE
    seen: set[str] = set()
    for segment in segment_names():
        campaign = campaign_list(con, model, k=2, segment=segment)
        expected = set(rfm.loc[rfm["segment"] == segment, "customer_id"])
        assert set(campaign.frame["customer_id"]) == expected, segment
        assert campaign.segment == segment
        seen |= expected
    assert seen == BEFORE
    with pytest.raises(InputError, match="unknown segment 'Whales'; known segments: Champions"):
        campaign_list(con, model, k=2, segment="Whales")


def test_holdout_leaves_controls_out_and_records_assignments(small_db, tmp_path):
    from recs.db import data_version, orders_version

    path = shutil.copy(small_db, tmp_path / "copy.duckdb")
    con = connect(path)
    con.execute("INSERT INTO imports VALUES (1, 'orders', 'o.csv', 'x', 'csv', 1, 1, 0, now(), now(), NULL)")
    model = fit_model(con, "popular", until=CUTOFF).model
    campaign = campaign_list(con, model, k=2, holdout=0.5, experiment_id="exp-1", seed=7,
                             assigned_at="2024-03-01 09:00")
    # the holdout is recorded as an import (new data version) but the orders did not change
    assert data_version(con) > 1 and orders_version(con) == 1
    recorded = con.execute("SELECT customer_id, variant, assigned_at FROM assignments "
                           "WHERE experiment_id = 'exp-1'").df()
    assert set(recorded["customer_id"]) == BEFORE
    control = set(recorded.loc[recorded["variant"] == "control", "customer_id"])
    treated = set(recorded.loc[recorded["variant"] == "treatment", "customer_id"])
    assert control | treated == BEFORE and not control & treated
    assert set(campaign.frame["customer_id"]) == treated
    assert campaign.held_out == len(control) and campaign.customers == len(treated)
    assert (recorded["assigned_at"] == pd.Timestamp("2024-03-01 09:00")).all()
    # the same request again: the recorded split, no second write
    again = campaign_list(con, model, k=2, holdout=0.5, experiment_id="exp-1", seed=7)
    pd.testing.assert_frame_equal(again.frame, campaign.frame)
    assert con.execute("SELECT count(*) FROM assignments").fetchone()[0] == len(BEFORE)
    con.close()
    # reproducible on a fresh copy of the data
    fresh = connect(shutil.copy(small_db, tmp_path / "fresh.duckdb"))
    model = fit_model(fresh, "popular", until=CUTOFF).model
    third = campaign_list(fresh, model, k=2, holdout=0.5, experiment_id="exp-1", seed=7)
    pd.testing.assert_frame_equal(third.frame, campaign.frame)
    fresh.close()


@pytest.mark.parametrize("kwargs, message", [
    ({"k": 0}, "K must be at least 1"),
    ({"holdout": 1.0, "experiment_id": "x"}, "strictly between 0 and 1"),
    ({"holdout": 0.1}, "needs an experiment id"),
])
def test_bad_campaign_requests(con, kwargs, message):
    model = fit_model(con, "popular", until=CUTOFF).model
    with pytest.raises(InputError, match=message):
        campaign_list(con, model, **{"k": 3, **kwargs})


def test_bad_training_requests(con, empty_db):
    with pytest.raises(InputError, match="no orders before 2023-01-01"):
        fit_model(con, "popular", until="2023-01-01")
    with pytest.raises(InputError, match="unknown model 'nope'; known models: .*popular"):
        fit_model(con, "nope")
    empty = connect(empty_db)
    with pytest.raises(InputError, match="no orders"):
        fit_model(empty, "popular")
    empty.close()


# ------------------------------------------------------------------------------------------------- CLI


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recs", "recommend", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_cli_writes_the_same_csv_as_the_library(small_db):
    done = _cli("--db", str(small_db), "--model", "popular", "--k", "3", "--train-until", CUTOFF, "--out", "-")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "customer_id,rank,product_id,score,product_name,reason"
    con = connect(small_db)  # after the CLI process let go of the file
    model = fit_model(con, "popular", until=CUTOFF).model
    expected = campaign_list(con, model, k=3).frame.to_csv(index=False, lineterminator="\n")
    con.close()
    assert done.stdout == expected
    frame = pd.read_csv(StringIO(done.stdout), dtype={"customer_id": str})
    _check_shape(frame, BEFORE, 3)


def test_cli_params_and_weighting_reach_the_model(small_db):
    args = ("--db", str(small_db), "--model", "item_knn", "--k", "3", "--train-until", CUTOFF, "--out", "-")
    done = _cli(*args, "--param", "neighbors=1", "--param", "similarity=jaccard", "--weighting", "log")
    assert done.returncode == 0, done.stderr
    con = connect(small_db)
    run = fit_model(con, "item_knn", params={"neighbors": "1", "similarity": "jaccard"}, until=CUTOFF,
                    weighting="log")
    model = run.model
    default = fit_model(con, "item_knn", until=CUTOFF).model
    expected = campaign_list(con, model, k=3).frame.to_csv(index=False, lineterminator="\n")
    plain = campaign_list(con, default, k=3).frame.to_csv(index=False, lineterminator="\n")
    con.close()
    assert run.weighting == "log" and model.neighbors == 1
    assert done.stdout == expected and expected != plain


def test_cli_holdout_reports_on_stderr(small_db, tmp_path):
    path = shutil.copy(small_db, tmp_path / "cli.duckdb")
    out = tmp_path / "list.csv"
    done = _cli("--db", str(path), "--model", "popular", "--k", "2", "--holdout", "0.4", "--experiment", "mail-1",
                "--seed", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    con = connect(path)
    control = {r[0] for r in con.execute("SELECT customer_id FROM assignments WHERE experiment_id = 'mail-1' "
                                         "AND variant = 'control'").fetchall()}
    con.close()
    assert f"held out {len(control)} of 6 customers" in done.stderr and "'mail-1'" in done.stderr
    listed = set(pd.read_csv(out, dtype={"customer_id": str})["customer_id"])
    assert listed == (BEFORE | {"C6"}) - control


@pytest.mark.parametrize("args, message", [
    (["--model", "nope"], "unknown model 'nope'; known models: "),
    (["--model", "popular", "--segment", "Whales"], "unknown segment 'Whales'; known segments: Champions"),
    (["--model", "popular", "--train-until", "2020-01-01"], "no orders before 2020-01-01"),
    (["--model", "popular", "--k", "0"], "K must be at least 1"),
    (["--model", "popular", "--k", "ten"], "K must be a whole number"),
    (["--model", "popular", "--holdout", "1.5", "--experiment", "e"], "strictly between 0 and 1"),
    (["--model", "popular", "--holdout", "0.1"], "needs an experiment id"),
    (["--model", "popular", "--experiment", "e"], "only used with --holdout"),
    (["--model", "popular", "--train-until", "yesterday-ish"], "cannot read 'yesterday-ish' as a date"),
    (["--model", "item_knn", "--param", "bogus=1"], "unknown parameter(s) bogus; known: neighbors"),
    (["--model", "item_knn", "--param", "neighbors=abc"], "parameter neighbors: 'abc' is not a valid int"),
    (["--model", "item_knn", "--param", "neighbors"], "use name=value"),
])
def test_cli_bad_requests_exit_2(small_db, capsys, args, message):
    code = cli.main(["recommend", "--db", str(small_db), *args, "--out", "-"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and message in err, err
    assert "Traceback" not in err


def test_cli_empty_database_and_missing_file(empty_db, tmp_path, capsys):
    assert cli.main(["recommend", "--db", str(empty_db), "--model", "popular", "--out", "-"]) == 2
    assert "no orders" in capsys.readouterr().err
    assert cli.main(["recommend", "--db", str(tmp_path / "none.duckdb"), "--model", "popular"]) == 2
    assert "database not found" in capsys.readouterr().err
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE t (x INTEGER)").close()
    assert cli.main(["recommend", "--db", str(other), "--model", "popular"]) == 2
    assert "not a Repeat database" in capsys.readouterr().err
    text = tmp_path / "orders.csv"
    text.write_text("order_id,customer_id\n1,2\n", encoding="utf-8")
    assert cli.main(["recommend", "--db", str(text), "--model", "popular"]) == 2
    assert "error: " in capsys.readouterr().err


def test_cli_unknown_model_exits_2_in_a_real_process(small_db):
    done = _cli("--db", str(small_db), "--model", "nope", "--out", "-")
    assert done.returncode == 2
    assert done.stderr.startswith("error: unknown model 'nope'") and "Traceback" not in done.stderr
