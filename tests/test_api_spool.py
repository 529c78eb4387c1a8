"""Spool compaction: only files whose every record is in the warehouse, and that no service still writes, go."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from recs.db import connect
from recs.service.spool import DoneMark, Spool, imported_through, read_records, spool_files, write_done
from recs.service.spool_import import import_spool
from tests.test_api_support import REPO, copy_shop, order


def spooled(spool: Spool, *orders: dict, assign: tuple[str, str] | None = None) -> None:
    with spool.lock:
        for body in orders:
            spool.append("order", body)
        if assign is not None:
            spool.append("assignment", {"experiment_id": assign[0], "customer_id": assign[1], "variant": "treatment",
                                        "assigned_at": "2026-01-01 10:00:00", "planned_split": {"control": 0.5,
                                                                                                 "treatment": 0.5}})


def in_warehouse(db, path) -> bool:
    """Every order and assignment of a spool file is in the warehouse."""
    con = connect(db, read_only=True)
    try:
        orders = {r[0] for r in con.execute("SELECT DISTINCT order_id FROM order_lines").fetchall()}
        assigned = set(con.execute("SELECT experiment_id, customer_id FROM assignments").fetchall())
    finally:
        con.close()
    return all((r.data["order_id"] in orders) if r.kind == "order" else
               ((r.data["experiment_id"], r.data["customer_id"]) in assigned) for r in read_records(path))


@pytest.fixture()
def shop(demo_db, tmp_path):
    return copy_shop(demo_db, tmp_path / "shop")


def test_compaction_removes_only_files_whose_every_record_is_in_the_warehouse(shop, tmp_path):
    folder = tmp_path / "spool"
    stopped = Spool(folder)  # a service that has stopped: its file is complete
    spooled(stopped, order("cmp-1", "C00001", ["PET-009"]), order("cmp-2", "C00002", ["HOU-005"]),
            assign=("cmp-exp", "C00001"))
    stopped.close()
    restored = Spool(folder)  # marked done, but the warehouse never got it (e.g. restored from a backup)
    spooled(restored, order("cmp-lost", "C00003", ["PET-009"]))
    restored.close()
    lost = spool_files(folder)[-1]
    write_done(lost, DoneMark(lost.stat().st_size, 1))
    running = Spool(folder)  # a running service: its file may still grow
    spooled(running, order("cmp-3", "C00004", ["PET-009"]))
    files = {p.name: p.read_bytes() for p in spool_files(folder)}
    try:
        con = connect(shop)
        try:
            report = import_spool(con, folder)
        finally:
            con.close()
        compaction = report.compaction
        assert compaction is not None and len(compaction.removed) == 1
        assert compaction.in_use == [spool_files(folder)[-1].name] and compaction.missing == {lost.name: 1}
        gone = folder / compaction.removed[0]
        assert not gone.exists() and (folder / f"{gone.name}.done").exists()  # the mark stays
        assert gone.name in imported_through(folder)  # a running service still sees its orders as imported
        kept_copy = tmp_path / gone.name
        kept_copy.write_bytes(files[gone.name])
        assert in_warehouse(shop, kept_copy)  # what went is all in the warehouse
        assert lost.exists() and not in_warehouse(shop, lost)
        assert "1 spool file(s) removed" in report.to_text() and "1 in use" in report.to_text()
        spooled(running, order("cmp-4", "C00005", ["HOU-005"]))  # still appending after the import: kept
    finally:
        running.close()  # the service stops: its lock goes
    result = subprocess.run([sys.executable, "-m", "recs", "import", "--db", str(shop), "--spool", str(folder)],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "1 new order(s)" in result.stdout and "1 spool file(s) removed" in result.stdout
    assert [p.name for p in spool_files(folder)] == [lost.name]  # only the file the warehouse lacks is left
    con = connect(shop, read_only=True)
    try:
        ids = {r[0] for r in con.execute("SELECT DISTINCT order_id FROM order_lines WHERE order_id LIKE 'cmp-%'")
               .fetchall()}
    finally:
        con.close()
    assert ids == {"cmp-1", "cmp-2", "cmp-3", "cmp-4"}


def test_compact_on_demand_archives_instead_of_deleting(shop, tmp_path, capsys):
    from recs.cli import main

    folder, archive = tmp_path / "spool", tmp_path / "archive"
    spool = Spool(folder)
    spooled(spool, order("arc-1", "C00001", ["PET-009"]))
    spool.close()
    con = connect(shop)
    try:
        import_spool(con, folder, compact=False)
    finally:
        con.close()
    name = spool_files(folder)[0].name
    cmd = ["api", "compact", "--db", str(shop), "--spool", str(folder)]
    capsys.readouterr()
    assert main([*cmd, "--archive", str(archive)]) == 0  # the CLI's own main, in this process
    assert "1 spool file(s) archived" in capsys.readouterr().out
    assert spool_files(folder) == [] and json.loads((archive / name).read_text().splitlines()[0])["kind"] == "order"
    spool = Spool(folder)
    spooled(spool, order("arc-2", "C00002", ["PET-009"]))
    spool.close()
    result = subprocess.run([sys.executable, "-m", "recs", "import", "--db", str(shop), "--spool", str(folder),
                             "--spool-archive", str(archive)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "1 spool file(s) archived" in result.stdout and spool_files(folder) == []
    assert len(list(archive.glob("spool-*.jsonl"))) == 2
    assert main([*cmd[:-1], str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.startswith("error: spool folder not found")
