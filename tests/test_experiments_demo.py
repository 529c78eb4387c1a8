"""The demo shop's planted lift is found: inside the 95% interval, with a healthy split."""

from __future__ import annotations

import pytest

from recs.db import connect
from recs.experiments import analyze


@pytest.fixture(scope="module")
def demo_result(demo_db):
    from recs.demo import EXPERIMENT_ID

    con = connect(demo_db)
    result = analyze.analyze_experiment(con, EXPERIMENT_ID, window_days=30, pre_days=180)
    table = analyze.abtest_table(con, EXPERIMENT_ID)
    con.close()
    return result, table


def test_planted_conversion_lift_inside_the_interval(demo_result):
    from recs.demo import PLANTED_CONVERSION_LIFT_PP

    result, _ = demo_result
    row = result.table.set_index(["metric", "variant"]).loc[("conversion", "treatment")]
    planted = PLANTED_CONVERSION_LIFT_PP / 100
    assert row["ci_low"] <= planted <= row["ci_high"], (row["lift"], row["ci_low"], row["ci_high"])
    assert row["p_value"] < 0.05          # an 8-point lift on ~1,650 per arm is detectable
    assert row["ci_low"] > 0


def test_demo_split_is_healthy_and_cuped_helps(demo_result):
    result, _ = demo_result
    assert result.srm_ok
    assert result.guards.in_two_variants == 0 and result.guards.past_data_end == 0
    t = result.table.set_index(["metric", "variant"])
    width = {m: t.loc[(m, "treatment"), "ci_high"] - t.loc[(m, "treatment"), "ci_low"]
             for m in ("revenue_per_customer", "revenue_per_customer_cuped")}
    assert result.cuped["variance_reduction"] > 0.05
    assert width["revenue_per_customer_cuped"] < width["revenue_per_customer"]


def test_cli_table_is_the_page_table(demo_result):
    result, table = demo_result
    assert table.equals(result.table[analyze.COLUMNS])
