"""An import is one transaction: failures (bad rows, a failing progress callback, a killed process) leave the
database exactly as it was; importing the same bytes twice never doubles the data."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, RETAIL_PARQUET

from recs import db
from recs.errors import InputError
from recs.importer import import_files

HEADER = "order_id,customer_id,ordered_at,product_id,quantity,unit_price"


def snapshot(con) -> tuple:
    sums = tuple(con.execute(f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} t").fetchall()[0]
                 for table in db.TABLES)
    return db.table_counts(con), sums


def big_csv(path: Path, n: int, bad_tail: str | None = None) -> Path:
    rows = [f"o{i // 3},c{i % 997},2024-01-{1 + i % 28:02d} 10:00:00,P{i % 113},1,{1 + i % 7}.5" for i in range(n)]
    if bad_tail:
        rows.append(bad_tail)
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture
def seeded(empty_db: Path, tmp_path: Path) -> Path:
    small = tmp_path / "seed.csv"
    small.write_text(HEADER + "\nS1,c1,2023-12-01,P1,2,3.0\nS1,c1,2023-12-01,P2,1,4.0\n")
    con = db.connect(empty_db)
    import_files(con, orders=small)
    con.close()
    return empty_db


def test_bad_row_after_100000_good_ones_leaves_nothing(seeded: Path, tmp_path: Path) -> None:
    f = big_csv(tmp_path / "big.csv", 100_000, "o-last,c1,2024-01-01,P1,1,free")
    con = db.connect(seeded)
    before = snapshot(con)
    with pytest.raises(InputError, match=r"big\.csv: column 'unit_price'.*row 100002: 'free'"):
        import_files(con, orders=f)
    assert snapshot(con) == before


def test_exception_from_progress_after_rows_are_written_rolls_back(seeded: Path, tmp_path: Path) -> None:
    f = big_csv(tmp_path / "big.csv", 100_000)
    a = tmp_path / "assign.csv"
    a.write_text("experiment_id,customer_id,variant,assigned_at\ne,c1,A,2024-01-01\n")
    con = db.connect(seeded)
    before = snapshot(con)
    seen: list[str] = []

    def progress(fraction: float, message: str) -> None:
        seen.append(message)
        if "updating products" in message:  # order lines are already inserted at this point
            raise RuntimeError("user pressed stop")

    with pytest.raises(RuntimeError, match="user pressed stop"):
        import_files(con, orders=f, assignments=a, progress=progress)
    assert any("writing order lines" in m for m in seen)
    assert snapshot(con) == before
    # the same connection works afterwards and the import then succeeds
    reps = import_files(con, orders=f, assignments=a)
    assert [r.rows_kept for r in reps] == [100_000, 1]


def test_second_file_failing_rolls_back_the_first(seeded: Path, tmp_path: Path) -> None:
    f = big_csv(tmp_path / "ok.csv", 10)
    a = tmp_path / "assign.csv"
    a.write_text("experiment_id,customer_id,variant,assigned_at\ne,c1,A,2024-01-01\ne,c1,B,2024-01-01\n")
    con = db.connect(seeded)
    before = snapshot(con)
    with pytest.raises(InputError, match="assign.csv"):
        import_files(con, orders=f, assignments=a)
    assert snapshot(con) == before


def test_reimport_is_idempotent_and_replace_reloads(seeded: Path, tmp_path: Path) -> None:
    f = big_csv(tmp_path / "orders.csv", 30)
    con = db.connect(seeded)
    [first] = import_files(con, orders=f)
    after_first = snapshot(con)
    [again] = import_files(con, orders=f)
    assert again.skipped_as_already_imported and again.id is None
    assert again.message.startswith(f"already imported (import #{first.id} on ")
    assert "use --replace to load it again" in again.message
    assert snapshot(con) == after_first
    [replaced] = import_files(con, orders=f, replace=True)
    assert replaced.replaced_import_ids == [first.id] and replaced.id > first.id
    counts = db.table_counts(con)
    assert counts["order_lines"] == after_first[0]["order_lines"]
    assert counts["imports"] == after_first[0]["imports"] + 1
    ids = con.execute("SELECT DISTINCT import_id FROM order_lines WHERE order_id LIKE 'o%'").fetchall()
    assert ids == [(replaced.id,)]


def test_assignments_replace(empty_db: Path, tmp_path: Path) -> None:
    a = tmp_path / "assign.csv"
    a.write_text("experiment_id,customer_id,variant,assigned_at\ne,c1,A,2024-01-01\ne,c2,B,2024-01-01\n")
    con = db.connect(empty_db)
    import_files(con, assignments=a)
    assert import_files(con, assignments=a)[0].skipped_as_already_imported
    [rep] = import_files(con, assignments=a, replace=True)
    assert rep.rows_kept == 2
    assert con.execute("SELECT count(*) FROM assignments").fetchall() == [(2,)]


@pytest.mark.slow
def test_kill_minus_9_mid_import_leaves_old_or_new_data(seeded: Path, tmp_path: Path) -> None:
    target = tmp_path / "crash.duckdb"
    shutil.copy(seeded, target)
    con = db.connect(target)
    old = snapshot(con)
    con.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "recs", "import", "--db", str(target), "--orders", str(RETAIL_PARQUET),
         "--format", "online-retail"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # wait until the import is under way (the file is read), then kill at a random moment of the writing
    for line in proc.stderr:
        if "read 541,909 rows" in line:
            break
    time.sleep(random.uniform(0.0, 2.0))
    proc.kill()
    proc.wait()
    proc.stderr.close()
    con = db.connect(target)
    now = snapshot(con)
    lines = now[0]["order_lines"]
    assert lines in (old[0]["order_lines"], old[0]["order_lines"] + 541_909)
    if lines == old[0]["order_lines"]:
        assert now == old
    else:
        assert now[0]["imports"] == old[0]["imports"] + 1
    con.close()
