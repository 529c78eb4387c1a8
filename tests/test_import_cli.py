"""`python -m recs import` as a user runs it: exit codes, messages, and a database held by another process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO

from recs import db

HEADER = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"
PY = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else sys.executable


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "recs", "import", *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_success_then_already_imported_then_replace(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(HEADER + "\n0042,007,2024-01-01,P1,2,1.5\n0042,,2024-01-01,P2,1,3\n")
    assign = tmp_path / "assign.csv"
    assign.write_text("experiment_id,customer_id,variant,assigned_at\ne,007,A,2024-01-01\n")
    target = tmp_path / "w.duckdb"
    first = run("--db", str(target), "--orders", str(orders), "--assignments", str(assign))
    assert first.returncode == 0, first.stderr
    assert "rows kept" in first.stdout and "guest lines" in first.stdout and "assignments import" in first.stdout
    again = run("--db", str(target), "--orders", str(orders), "--quiet")
    assert again.returncode == 0 and "already imported (import #" in again.stdout
    replaced = run("--db", str(target), "--orders", str(orders), "--replace", "--quiet")
    assert replaced.returncode == 0 and "replaced earlier import(s): #" in replaced.stdout
    con = db.connect(target)
    assert db.table_counts(con) == {"order_lines": 2, "orders": 1, "products": 2, "assignments": 1, "imports": 3}
    con.close()


def test_bad_input_exits_2_with_one_error_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n1,a,2024-01-01,P,lots,1\n")
    res = run("--db", str(tmp_path / "w.duckdb"), "--orders", str(bad), "--quiet")
    assert res.returncode == 2
    assert res.stderr.startswith("error: bad.csv: column 'quantity'") and "row 2: 'lots'" in res.stderr
    assert "Traceback" not in res.stderr
    missing = run("--db", str(tmp_path / "w.duckdb"), "--orders", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "nope.csv: file not found" in missing.stderr


def test_busy_database_exits_2_and_stays_readable(tmp_path: Path) -> None:
    target = tmp_path / "busy.duckdb"
    con = db.connect(target)
    con.execute("INSERT INTO products (product_id, name) VALUES ('X', 'kept')")
    con.close()
    orders = tmp_path / "orders.csv"
    orders.write_text(HEADER + "\n1,a,2024-01-01,P,1,1\n")
    holder = subprocess.Popen(
        [PY, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
                   "time.sleep(60)", str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        res = run("--db", str(target), "--orders", str(orders), "--quiet")
        assert res.returncode == 2
        assert res.stderr.startswith("error: database busy") and "Traceback" not in res.stderr
    finally:
        holder.kill()
        holder.wait()
    con = db.connect(target)
    assert db.table_counts(con) == {"order_lines": 0, "orders": 0, "products": 1, "assignments": 0, "imports": 0}
    con.close()
