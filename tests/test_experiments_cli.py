"""`python -m recs abtest` through a real subprocess: the exact CSV contract and the exit-2 cases."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from recs.db import connect, refresh_derived
from recs.experiments import analyze

REPO_ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
HEADER = "experiment_id,metric,variant,customers,value,lift,lift_rel,ci_low,ci_high,p_value"
T0 = pd.Timestamp("2024-03-01")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recs", "abtest", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def ab_db(tmp_path_factory) -> str:
    """Two experiments: 'mail' (control/treatment, 60 customers) and 'three' (control/a/b, 45 customers)."""
    path = tmp_path_factory.mktemp("cli") / "ab.duckdb"
    rng = np.random.default_rng(9)
    con = connect(path)
    lines, assign = [], []
    for i in range(60):
        cid = f"c{i}"
        assign.append(("mail", cid, "treatment" if i % 2 else "control", T0))
        if i < 45:
            assign.append(("three", cid, ["control", "a", "b"][i % 3], T0))
        for k in range(rng.poisson(1.0)):
            lines.append((f"o{i}-{k}", 1, cid, T0 + pd.Timedelta(hours=int(rng.integers(-2000, 1000))), "p", 1.0,
                          float(rng.integers(5, 50)), "completed", "UK", 1))
    lines.append(("end", 1, None, T0 + pd.Timedelta(days=60), "p", 1.0, 1.0, "completed", "UK", 1))
    lines = pd.DataFrame(lines, columns=["order_id", "line_no", "customer_id", "ordered_at", "product_id", "quantity",
                                         "unit_price", "status", "country", "import_id"])
    assign = pd.DataFrame(assign, columns=["experiment_id", "customer_id", "variant", "assigned_at"]).assign(import_id=1)
    con.execute("INSERT INTO order_lines SELECT * FROM lines")
    refresh_derived(con)
    con.execute("INSERT INTO assignments SELECT * FROM assign")
    con.close()
    return str(path)


def test_exact_header_and_rows_for_all_experiments(ab_db):
    res = run("--db", ab_db, "--out", "-")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == HEADER
    frame = pd.read_csv(io.StringIO(res.stdout), keep_default_na=False, na_values=[""])
    # mail: 5 metrics x 2 variants + srm; three: 5 x 3 + srm
    assert len(frame) == 11 + 16
    assert frame.groupby("experiment_id").size().to_dict() == {"mail": 11, "three": 16}
    control = frame[frame["variant"] == "control"]
    assert control[["lift", "lift_rel", "ci_low", "ci_high", "p_value"]].isna().all().all()
    srm = frame[frame["metric"] == "srm"]
    assert srm["variant"].isna().all() and srm["p_value"].notna().all()
    assert list(srm["customers"]) == [60, 45]
    treat = frame[(frame["experiment_id"] == "mail") & (frame["variant"] == "treatment")]
    assert treat[["lift", "ci_low", "ci_high", "p_value"]].notna().all().all()
    assert set(frame["metric"]) == {"conversion", "orders_per_customer", "revenue_per_customer", "repeat_rate",
                                    "revenue_per_customer_cuped", "srm"}


def test_file_output_equals_library_table(ab_db, tmp_path):
    out = tmp_path / "sub" / "ab.csv"
    res = run("--db", ab_db, "--experiment", "mail", "--window-days", "14", "--pre-days", "60", "--out", str(out))
    assert res.returncode == 0, res.stderr
    got = pd.read_csv(out, keep_default_na=False, na_values=[""])
    con = connect(ab_db)
    want = analyze.abtest_table(con, "mail", 14, 60)
    con.close()
    assert list(got.columns) == analyze.COLUMNS
    pd.testing.assert_frame_equal(got.drop(columns=["variant"]), want.drop(columns=["variant"]), check_dtype=False)


def test_unknown_experiment_exits_2_without_traceback(ab_db):
    res = run("--db", ab_db, "--experiment", "nope", "--out", "-")
    assert res.returncode == 2
    assert "unknown experiment id 'nope'; known experiments: mail, three" in res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""


def test_database_without_assignments_exits_2(empty_db):
    res = run("--db", str(empty_db), "--out", "-")
    assert res.returncode == 2 and "no experiment assignments" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("args, message", [
    (["--window-days", "0"], "--window-days must be a positive whole number"),
    (["--window-days", "-7"], "--window-days must be a positive whole number"),
    (["--pre-days", "0"], "--pre-days must be a positive whole number"),
    (["--experiment", "mail", "--control", "b"], "has no variant named 'b'"),
])
def test_bad_requests_exit_2_in_process(ab_db, args, message, capsys):
    from recs.cli import main

    assert main(["abtest", "--db", ab_db, *args, "--out", "-"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_missing_database_is_not_created(tmp_path, capsys):
    from recs.cli import main

    assert main(["abtest", "--db", str(tmp_path / "missing.duckdb"), "--out", "-"]) == 2
    assert "database not found" in capsys.readouterr().err
    assert not (tmp_path / "missing.duckdb").exists()
