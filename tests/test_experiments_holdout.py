"""Holdout: seeded, reproducible arms; persisted in one go; read back like any other experiment."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from recs.db import connect, refresh_derived
from recs.errors import InputError
from recs.experiments import analyze, holdout

IDS = [f"cust-{i}" for i in range(5000)]


def test_arm_is_a_pure_function_of_seed_and_customer():
    a = holdout.split_holdout(IDS, 0.1, seed=7).set_index("customer_id")["variant"]
    b = holdout.split_holdout(list(reversed(IDS))[:3000], 0.1, seed=7).set_index("customer_id")["variant"]
    assert (a.loc[b.index] == b).all()  # order and the rest of the list do not matter
    c = holdout.split_holdout(IDS, 0.1, seed=8).set_index("customer_id")["variant"]
    assert (a != c).any()
    # by hand for one customer: sha256("7:cust-0")[:8] / 2**64 < 0.1 means control
    u = int.from_bytes(hashlib.sha256(b"7:cust-0").digest()[:8], "big") / 2**64
    assert a.loc["cust-0"] == ("control" if u < 0.1 else "treatment")


def test_share_is_close_to_the_asked_share():
    frame = holdout.split_holdout(IDS, 0.1, seed=0)
    share = float((frame["variant"] == "control").mean())
    assert abs(share - 0.1) < 4 * np.sqrt(0.1 * 0.9 / len(IDS))
    assert set(frame["variant"]) == {"control", "treatment"}


@pytest.mark.parametrize("share", [0, 1, -0.1, 1.5])
def test_share_must_be_strictly_between_0_and_1(share):
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        holdout.split_holdout(IDS, share)


def test_assign_holdout_persists_and_is_read_back(tmp_path):
    con = connect(tmp_path / "h.duckdb")
    when = pd.Timestamp("2024-05-01 12:00:00")
    frame = holdout.assign_holdout(con, "camp-1", IDS[:1000], 0.2, seed=3, assigned_at=when)
    assert list(frame.columns) == ["customer_id", "variant"]
    stored = con.execute("SELECT customer_id, variant, assigned_at, import_id FROM assignments "
                         "WHERE experiment_id = 'camp-1' ORDER BY customer_id").df()
    assert len(stored) == 1000 and stored["assigned_at"].nunique() == 1
    assert pd.Timestamp(stored["assigned_at"].iloc[0]) == when
    merged = stored.merge(frame, on="customer_id", suffixes=("", "_returned"))
    assert (merged["variant"] == merged["variant_returned"]).all()
    kind, fmt, rows = con.execute("SELECT kind, format, rows_kept FROM imports WHERE id = ?",
                                  [int(stored["import_id"].iloc[0])]).fetchone()
    assert (kind, fmt, rows) == ("assignments", "holdout", 1000)
    # the planned 20/80 split is what SRM checks against (an equal plan would flag it)
    con.execute("INSERT INTO order_lines VALUES ('o1', 1, 'cust-1', TIMESTAMP '2024-07-01', 'p', 1, 5, "
                "'completed', 'UK', 1)")
    refresh_derived(con)
    result = analyze.analyze_experiment(con, "camp-1")
    assert result.srm["planned"] == {"control": 0.2, "treatment": 0.8}
    assert result.srm_ok
    con.close()


def test_same_export_twice_writes_once_and_other_customers_are_refused(tmp_path):
    con = connect(tmp_path / "h.duckdb")
    first = holdout.assign_holdout(con, "camp", IDS[:100], 0.1, seed=1)
    again = holdout.assign_holdout(con, "camp", IDS[:100], 0.1, seed=1)
    pd.testing.assert_frame_equal(first, again)
    assert con.execute("SELECT count(*) FROM assignments").fetchone()[0] == 100
    with pytest.raises(InputError, match="already exists with different customers"):
        holdout.assign_holdout(con, "camp", IDS[:101], 0.1, seed=1)
    with pytest.raises(InputError, match="different split"):
        holdout.assign_holdout(con, "camp", IDS[:100], 0.5, seed=1)
    assert con.execute("SELECT count(*) FROM assignments").fetchone()[0] == 100
    con.close()


def test_blank_ids_are_dropped_and_one_import_row_is_written(tmp_path):
    con = connect(tmp_path / "h.duckdb")
    frame = holdout.assign_holdout(con, "camp", IDS[:50] + [None, "", IDS[0]], 0.3, seed=0)
    assert len(frame) == 50 and con.execute("SELECT count(*) FROM assignments").fetchone()[0] == 50
    assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 1
    con.close()


def test_failure_rolls_back_everything(tmp_path):
    con = connect(tmp_path / "h.duckdb")
    # make the assignments insert fail after the imports row was written: a check no 'control' row passes
    con.execute("DROP TABLE assignments")
    con.execute("CREATE TABLE assignments (experiment_id VARCHAR NOT NULL, customer_id VARCHAR NOT NULL, "
                "variant VARCHAR NOT NULL CHECK (variant = 'treatment'), assigned_at TIMESTAMP NOT NULL, "
                "import_id INTEGER)")
    with pytest.raises(Exception):  # noqa: B017 - the constraint error itself is DuckDB's
        holdout.assign_holdout(con, "camp", IDS[:200], 0.5, seed=0)
    assert con.execute("SELECT count(*) FROM assignments").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 0
    con.close()


def test_empty_list_and_missing_experiment_id(tmp_path):
    con = connect(tmp_path / "h.duckdb")
    with pytest.raises(InputError, match="empty"):
        holdout.assign_holdout(con, "camp", [], 0.1)
    with pytest.raises(InputError, match="experiment id"):
        holdout.assign_holdout(con, " ", IDS[:10], 0.1)
    con.close()
