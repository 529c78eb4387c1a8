"""`python -m recs metrics ...` in a real subprocess: exact CSV headers, dates as YYYY-MM-DD, clear bad-input errors."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

from recs.cli import main
from recs.db import connect, refresh_derived
from tests.conftest import REPO

HEADERS = {
    "summary": "orders,customers,repeat_customers,repurchase_rate,revenue,net_revenue,aov,revenue_per_customer,"
               "first_order_at,last_order_at",
    "retention": "cohort,period,cohort_size,customers,retention,revenue,revenue_retention,complete",
    "repurchase": "period,customers,new_customers,returning_customers,returning_rate",
    "repeat_within": "cohort,customers,within_30,within_60,within_90,complete_30,complete_60,complete_90",
    "time_to_second": "customer_id,cohort,first_order_id,first_order_at,second_order_id,second_order_at,"
                      "days_to_second",
    "rfm": "customer_id,recency_days,frequency,monetary,r_score,f_score,m_score,segment",
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """Three customers over two months; '007' keeps its leading zeros; one guest order."""
    path = tmp_path_factory.mktemp("cli") / "shop.duckdb"
    con = connect(path)
    rows = [
        ("1", "007", "2024-01-31 23:59:59", 2, 10.0), ("2", "007", "2024-02-01 00:00:00", 1, 5.0),
        ("3", "B", "2024-01-15 10:00:00", 1, 20.0), ("4", None, "2024-02-10 10:00:00", 1, 7.0),
        ("5", "C", "2024-02-20 10:00:00", 3, 1.0),
    ]
    for order_id, customer, at, qty, price in rows:
        con.execute("INSERT INTO order_lines VALUES (?, 1, ?, CAST(? AS TIMESTAMP), 'p', ?, ?, 'completed', 'UK', 1)",
                    [order_id, customer, at, qty, price])
    refresh_derived(con)
    con.close()
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recs", "metrics", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_each_metric_prints_csv_with_the_exact_header(shop):
    # one process per metric, started together so the suite stays fast
    procs = {m: subprocess.Popen([sys.executable, "-m", "recs", "metrics", m, "--db", str(shop), "--out", "-"],
                                 cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for m in HEADERS}
    for metric, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (metric, err)
        lines = out.splitlines()
        assert lines[0] == HEADERS[metric], metric
        assert len(lines) > 1, metric


def test_summary_values_and_dates(shop, tmp_path):
    out = tmp_path / "summary.csv"
    result = run("summary", "--db", str(shop), "--out", str(out))
    assert result.returncode == 0 and result.stdout == ""
    row = next(csv.DictReader(io.StringIO(out.read_text())))
    # orders 1..5 (one guest); customers 007, B, C; 007 repeats; revenue 20+5+20+7+3 = 55
    assert (row["orders"], row["customers"], row["repeat_customers"]) == ("5", "3", "1")
    assert float(row["revenue"]) == pytest.approx(55.0) and float(row["aov"]) == pytest.approx(11.0)
    assert (row["first_order_at"], row["last_order_at"]) == ("2024-01-15", "2024-02-20")


def test_filters_and_leading_zeros(shop):
    result = run("time_to_second", "--db", str(shop), "--start", "2024-01-20", "--end", "2024-03-01")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # B's first order (Jan 15) is before the window: not in a cohort; 007's first is Jan 31 23:59:59
    assert [r["customer_id"] for r in rows] == ["007", "C"]
    assert rows[0]["cohort"] == "2024-01-01" and rows[0]["second_order_at"] == "2024-02-01"
    assert float(rows[0]["days_to_second"]) == pytest.approx(1 / 86400)
    weekly = run("retention", "--db", str(shop), "--grain", "week", "--country", "UK")
    assert weekly.returncode == 0, weekly.stderr
    first = list(csv.DictReader(io.StringIO(weekly.stdout)))[0]
    assert (first["cohort"], first["period"]) == ("2024-01-15", "0")
    days = run("repeat_within", "--db", str(shop), "--days", "1,7.5")
    assert days.stdout.splitlines()[0] == "cohort,customers,within_1,within_7.5,complete_1,complete_7.5"


@pytest.mark.parametrize("args, message", [
    (["retention", "--grain", "year"], "--grain: unknown grain 'year'"),
    (["repurchase", "--grain", "day"], "--grain"),
    (["summary", "--start", "2024-13-01"], "--start: '2024-13-01' is not a date"),
    (["summary", "--end", "yesterday"], "--end"),
    (["summary", "--start", "2024-02-01", "--end", "2024-01-01"], "must be before --end"),
    (["repeat_within", "--days", "0"], "--days: '0' must be a positive number"),
    (["repeat_within", "--days", "30,abc"], "--days: 'abc' is not a number"),
    (["rfm", "--as-of", "2024-01-01"], "--as-of 2024-01-01 is before the last order"),
])
def test_bad_input_exits_2_with_a_clear_message(shop, args, message, capsys):
    # in-process through the real entry point (recs.cli.main) to keep the suite fast; one subprocess case below
    code = main(["metrics", args[0], "--db", str(shop), *args[1:]])
    captured = capsys.readouterr()
    assert code == 2
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.out == ""


def test_bad_input_in_a_real_process(shop):
    result = run("repeat_within", "--db", str(shop), "--days", "0")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --days: '0' must be a positive number of days"
    assert result.stdout == ""


def test_missing_database_exits_2(tmp_path, capsys):
    assert main(["metrics", "summary", "--db", str(tmp_path / "nope.duckdb")]) == 2
    assert "database not found" in capsys.readouterr().err
