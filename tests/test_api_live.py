"""The service under stress: kill -9 during a burst of orders, a hot swap under load, A/B variants at serving time."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.test_api_support import REPO, ApiServer, copy_shop, order, train


@pytest.fixture(scope="module")
def shop(demo_db, tmp_path_factory):
    db = copy_shop(demo_db, tmp_path_factory.mktemp("api_live"))
    train(db, "item_knn")
    return db


def import_spool(db) -> str:
    result = subprocess.run([sys.executable, "-m", "recs", "import", "--db", str(db), "--spool"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_kill_9_in_a_burst_of_orders_loses_no_acknowledged_order(shop):
    from recs.db import connect

    server = ApiServer(shop).start()
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def post(n: int) -> None:
        if stop.is_set():
            return
        try:
            code = server.post("/v1/orders", order(f"burst-{n}", f"C{n % 4000:05d}", ["PET-009", "HOU-005"]),
                               timeout=10)[0]
        except OSError:  # the server died under this request: it was never acknowledged
            return
        if code == 201:
            with lock:
                acked.append(f"burst-{n}")

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(post, n) for n in range(600)]
        while len(acked) < 150:  # a state, not a time: kill once enough orders were acknowledged
            time.sleep(0.005)
        server.kill9()
        stop.set()
        for f in futures:
            f.result()
    assert 150 <= len(acked) < 600
    first = import_spool(shop)
    second = import_spool(shop)
    assert "nothing new" in second, (first, second)
    con = connect(shop, read_only=True)
    try:
        rows = con.execute("SELECT order_id, count(*) FROM order_lines WHERE order_id LIKE 'burst-%' "
                           "GROUP BY order_id").fetchall()
    finally:
        con.close()
    found = dict(rows)
    assert set(acked) <= set(found)  # every acknowledged order is in the warehouse ...
    assert all(n == 2 for n in found.values())  # ... exactly once (two lines each, never doubled)


def test_hot_swap_under_load_fails_no_request(shop):
    server = ApiServer(shop, extra=["--model", "item_knn"]).start()
    try:
        before = server.get("/v1/health")[1]["version"]
        failures: list[object] = []
        served_versions: set[str] = set()
        done = threading.Event()

        def hammer(n: int) -> None:
            i = 0
            while not done.is_set():
                try:
                    code, body, _ = server.get(f"/v1/recommendations?customer_id=C{(n * 97 + i) % 4000:05d}&k=10")
                    if code != 200 or len(body["items"]) != 10:
                        failures.append((code, body))
                    served_versions.add(body["version"])
                except OSError as exc:
                    failures.append(exc)
                i += 1

        threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        train(shop, "item_knn")  # a newer run of the served model, stored while the load runs
        deadline = time.monotonic() + 30
        while server.get("/v1/health")[1]["version"] == before and time.monotonic() < deadline:
            time.sleep(0.05)
        after = server.get("/v1/health")[1]["version"]
        while len(served_versions) < 2 and time.monotonic() < deadline:  # requests reach the new version too
            time.sleep(0.05)
        done.set()
        for t in threads:
            t.join()
        assert after != before and {before, after} <= served_versions
        assert failures == []
    finally:
        server.stop()


EXPERIMENT = {"experiments": {"live-ab": {"variants": {"control": {"share": 0.3, "model": None},
                                                        "treatment": {"share": 0.7}}}}}


def test_variants_are_stable_recorded_once_and_measured_like_holdouts(shop):
    from recs.db import connect
    from recs.experiments.data import planned_split
    from recs.models.store import models_dir

    (models_dir(shop) / "experiments.json").write_text(json.dumps(EXPERIMENT))
    customers = [f"C{n:05d}" for n in range(20)]
    server = ApiServer(shop).start()
    try:
        first = {c: server.get(f"/v1/recommendations?customer_id={c}&k=5&experiment=live-ab")[1] for c in customers}
    finally:
        server.stop()
    server = ApiServer(shop).start()  # a restart: same variants, and nothing recorded twice
    try:
        again = {c: server.get(f"/v1/recommendations?customer_id={c}&k=5&experiment=live-ab")[1] for c in customers}
    finally:
        server.stop()
    variants = {c: b["experiment"]["variant"] for c, b in first.items()}
    assert variants == {c: b["experiment"]["variant"] for c, b in again.items()}
    assert set(variants.values()) == {"control", "treatment"}
    assert all((b["items"] == []) == (variants[c] == "control") for c, b in first.items())
    import_spool(shop)
    con = connect(shop, read_only=True)
    try:
        rows = dict(con.execute("SELECT customer_id, variant FROM assignments WHERE experiment_id = 'live-ab'"
                                ).fetchall())
        split = planned_split(con, "live-ab", ["control", "treatment"])
    finally:
        con.close()
    assert rows == variants  # each customer recorded once, in the variant served
    assert split == {"control": 0.3, "treatment": 0.7}


def test_variant_shares_are_within_the_binomial_interval_over_10000_customers():
    from recs.service.experiments import assign, parse_experiments

    experiment = parse_experiments(json.dumps(EXPERIMENT), "test")["live-ab"]
    n = 10_000
    control = sum(assign(experiment, f"customer-{i}").name == "control" for i in range(n))
    half_width = 3.29 * math.sqrt(0.3 * 0.7 / n)  # 99.9 % interval
    assert abs(control / n - 0.3) < half_width
    assert all(assign(experiment, f"customer-{i}") == assign(experiment, f"customer-{i}") for i in range(100))


def test_refresh_retrains_the_served_model_only_past_the_drift(shop):
    def refresh(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "recs", "refresh", "--db", str(shop), *extra], cwd=REPO,
                              capture_output=True, text=True, timeout=120)

    calm = refresh("--model", "item_knn", "--if-drift", "0.5")
    assert calm.returncode == 0 and "not retrained" in calm.stdout
    done = refresh("--model", "item_knn", "--if-drift", "0")
    assert done.returncode == 0 and "retrained" in done.stdout and "not retrained" not in done.stdout
    bad = refresh("--if-drift", "lots")
    assert bad.returncode == 2 and "error: --if-drift" in bad.stderr and "Traceback" not in bad.stderr
