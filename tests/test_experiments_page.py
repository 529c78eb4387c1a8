"""The Experiments page in AppTest: empty database, no assignments, the demo shop, unusable and unhealthy splits."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from recs.db import connect, refresh_derived
from recs.experiments import holdout
from tests.conftest import REPO

T0 = pd.Timestamp("2024-03-01")


def render(use_db, path) -> AppTest:
    use_db(path)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/experiments.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def small_db(path, assignments: list[tuple], orders: int = 30) -> str:
    con = connect(path)
    lines = pd.DataFrame([(f"o{i}", 1, f"c{i % 40}", T0 + pd.Timedelta(days=i % 50), "p", 1.0, 10.0 + i % 7,
                           "completed", "UK", 1) for i in range(orders)],
                         columns=["order_id", "line_no", "customer_id", "ordered_at", "product_id", "quantity",
                                  "unit_price", "status", "country", "import_id"])
    con.register("page_lines", lines)
    con.execute("INSERT INTO order_lines SELECT * FROM page_lines")
    refresh_derived(con)
    if assignments:
        frame = pd.DataFrame(assignments, columns=["experiment_id", "customer_id", "variant", "assigned_at"])
        frame["import_id"] = 1
        con.register("page_assign", frame)
        con.execute("INSERT INTO assignments SELECT * FROM page_assign")
    con.execute("INSERT INTO imports VALUES (1, 'orders', 'x.csv', 'abc', 'generic', 1, 1, 0, now(), now(), '{}')")
    con.close()
    return path


def test_empty_database_renders(use_db, empty_db):
    render(use_db, empty_db)


def test_orders_without_assignments_get_a_friendly_message(use_db, tmp_path):
    at = render(use_db, small_db(tmp_path / "noexp.duckdb", []))
    assert any("no experiment assignments" in t for t in texts(at.info))


def test_demo_shop_verdict_plot_and_downloads(use_db, demo_db):
    from recs.demo import EXPERIMENT_ID

    at = render(use_db, demo_db)
    assert at.selectbox(key="exp_id").value == EXPERIMENT_ID
    at.selectbox(key="exp_metric").set_value("conversion").run()
    assert not at.exception
    verdicts = texts(at.success)
    assert any(t.startswith("Treatment raised conversion") and "95% CI" in t and "split looks healthy" in t
               for t in verdicts), verdicts
    assert len(at.get("plotly_chart")) >= 2  # forest plot and cumulative curves
    assert len(at.get("download_button")) >= 3
    assert not at.toggle(key="exp_segments_on").value  # the exploratory segments are off on first render
    assert "dl-seg" not in [b.key for b in at.get("download_button")]
    at.toggle(key="exp_segments_on").set_value(True).run()
    assert not at.exception
    segments = at.dataframe[-1].value  # human labels on screen; the CSV keeps split/segment/lift_rel...
    assert set(segments["Split"]) == {"RFM segment", "New or returning"}
    assert set(segments.loc[segments["Split"] == "New or returning", "Segment"]) <= {"new", "returning"}
    assert "dl-seg" in [b.key for b in at.get("download_button")]
    assert any("Variance of revenue per customer removed" in m.label for m in at.metric)


def test_windows_past_the_data_end_are_explained(use_db, tmp_path):
    path = small_db(tmp_path / "fresh.duckdb", [])
    con = connect(path)
    holdout.assign_holdout(con, "camp", [f"c{i}" for i in range(40)], 0.5, seed=1,
                           assigned_at=T0 + pd.Timedelta(days=45))
    con.close()
    at = render(use_db, path)
    assert any("No customer of 'camp' has a complete 30-day window yet" in t for t in texts(at.info))


def test_sample_ratio_mismatch_warns_that_results_cannot_be_trusted(use_db, tmp_path):
    assignments = [("skewed", f"c{i}", "control" if i < 30 else "treatment", T0) for i in range(40)]
    assignments += [("skewed", f"x{i}", "control", T0) for i in range(60)]
    assignments.append(("skewed", "c0", "treatment", T0))  # c0 is now in both variants
    at = render(use_db, small_db(tmp_path / "srm.duckdb", assignments))
    assert any("cannot be trusted" in t for t in texts(at.error) + texts(at.warning))
    assert any("1 customer(s) assigned to more than one variant" in e.label for e in at.expander)


def test_window_slider_and_other_control(use_db, demo_db):
    at = render(use_db, demo_db)
    at.slider(key="exp_window").set_value(7).run()
    assert not at.exception
    at.selectbox(key="exp_control").set_value("treatment").run()
    assert not at.exception
    verdicts = texts(at.success) + texts(at.info) + texts(at.warning)
    assert any(t.startswith("Control ") or "effect of control" in t for t in verdicts), verdicts


def test_a_holdout_export_shows_up_while_order_metrics_stay_cached(use_db, tmp_path):
    """An assignments import refreshes the Experiments page's caches but not the order metrics' key."""
    from pages.parts import common

    path = small_db(tmp_path / "later.duckdb", [])
    at = render(use_db, path)
    assert any("no experiment assignments" in t for t in texts(at.info))
    con = common._connection(str(path)).cursor()  # the app's own connection: one writer per process
    orders_key, any_key = common.data_key(con), common.data_key(con, with_assignments=True)
    holdout.assign_holdout(con, "camp-later", [f"c{i}" for i in range(40)], 0.5, seed=1,
                           assigned_at=T0 + pd.Timedelta(days=10))
    assert common.data_key(con) == orders_key
    assert common.data_key(con, with_assignments=True) != any_key
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("no experiment assignments" in t for t in texts(at.info))
    assert "camp-later" in " ".join(str(s.value) for s in at.selectbox) + " ".join(texts(at.markdown))
