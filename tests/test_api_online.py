"""Online updates of the re-buy models through a real service: a posted order restarts a product's re-buy cycle at
once, and the list agrees with a retrain on the warehouse that holds the order (`import --spool`)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time

import pandas as pd
import pytest

from tests.test_api_support import REPO, ApiServer, copy_shop, order, train, wait_for

DUE = re.compile(r"Bought (\d+) times, usually every (\d+) days; last bought (\d+) days ago")


@pytest.fixture(scope="module")
def shop(demo_db, tmp_path_factory):
    db = copy_shop(demo_db, tmp_path_factory.mktemp("api_online"))
    train(db, "repeat")
    return db


def due_customer(server: ApiServer, customers: list[str]) -> tuple[str, dict, re.Match]:
    """A customer whose top re-buy product is due (days since the last purchase near its usual cycle)."""
    for customer in customers:
        top = server.get(f"/v1/recommendations?customer_id={customer}&k=10")[1]["items"][0]
        found = DUE.search(top["reason"])
        if found and 0.7 <= int(found[3]) / int(found[2]) <= 1.4:
            return customer, top, found
    raise AssertionError("no customer with a due re-buy product")


def test_a_posted_rebuy_restarts_its_cycle_and_agrees_with_a_retrain(shop):
    from recs.models.store import load_model
    from recs.service.serving import run_version

    model = load_model(shop, "repeat").model
    last_day = model.data_.cutoff - pd.Timedelta(minutes=1)  # the warehouse's last minute: the cutoff stays put
    server = ApiServer(shop).start()
    try:
        customer, top, due = due_customer(server, [str(c) for c in model.data_.customer_ids[:400]])
        product = top["product_id"]
        start = time.monotonic()
        assert server.post("/v1/orders", order("rebuy-1", customer, [product], f"{last_day:%Y-%m-%d %H:%M:%S}"))[0] == 201

        def folded() -> list:  # folded in the background: at once on a quiet machine
            items = server.get(f"/v1/recommendations?customer_id={customer}&k=10")[1]["items"]
            return items if any(i["reason"].endswith("last bought 0 days ago") for i in items) else []

        after = wait_for(folded, what="the folded list")
        assert time.monotonic() - start < 10
        bought = next(i for i in after if i["product_id"] == product)
        assert f"Bought {int(due[1]) + 1} times" in bought["reason"]  # the new order counts
        assert bought["reason"].endswith("last bought 0 days ago")  # not due any more: its cycle restarted

        # the same order through the warehouse: import the spool, retrain; the service swaps to the new run
        result = subprocess.run([sys.executable, "-m", "recs", "import", "--db", str(shop), "--spool"], cwd=REPO,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        train(shop, "repeat")
        retrained = load_model(shop, "repeat")
        deadline = time.monotonic() + 60
        while server.get("/v1/models")[1]["serving"]["version"] != run_version(retrained):
            assert time.monotonic() < deadline, "the service never swapped to the retrained run"
            time.sleep(0.1)
        served = server.get(f"/v1/recommendations?customer_id={customer}&k=10")[1]["items"]
    finally:
        server.stop()
    want = retrained.model.recommend([customer], k=10, rules=_served_rules(retrained.model))
    assert [i["product_id"] for i in served] == want["product_id"].tolist()
    assert [i["product_id"] for i in after] == [i["product_id"] for i in served]  # online == retrained list
    assert bought["reason"] == next(i["reason"] for i in served if i["product_id"] == product)
    # the one difference: the bought product's own statistics (its usual cycle, its popularity) are recomputed by
    # the import and the retrain, not by the fold; every other score is the same
    for online, full in zip(after, served, strict=True):
        assert online["score"] == pytest.approx(full["score"], rel=1e-2 if online["product_id"] == product else 1e-6)


def _served_rules(model):
    from recs.rules import Rules, default_intent, with_intent

    return with_intent(Rules(), default_intent(model))


def recs_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recs", *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def recs_main(capsys: pytest.CaptureFixture, *args: str) -> subprocess.CompletedProcess:
    """The CLI's own main in this process (no interpreter start-up), as a completed process."""
    from recs.cli import main

    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, out.out, out.err)


def test_experiments_are_managed_from_the_cli_and_the_running_service_follows(shop, capsys):
    server = ApiServer(shop).start()
    try:
        path = "/v1/recommendations?customer_id={}&k=5&experiment=cli-ab"
        assert server.get(path.format("C00001"))[0] == 404
        bad = recs_cli("api", "experiments", "add", "--db", str(shop), "--id", "cli-ab", "--control", "none",
                       "--treatment", "no-such-model")
        assert bad.returncode == 2 and bad.stderr.startswith("error: --treatment: unknown model 'no-such-model'")
        assert "Traceback" not in bad.stderr
        added = recs_main(capsys, "api", "experiments", "add", "--db", str(shop), "--id", "cli-ab", "--control", "none",
                         "--treatment", "repeat", "--share", "0.5")
        assert added.returncode == 0, added.stderr
        deadline = time.monotonic() + 30
        while server.get(path.format("C00001"))[0] != 200:  # the service re-reads the file by itself
            assert time.monotonic() < deadline, "the service never picked up the new experiment"
            time.sleep(0.1)
        variants = {c: server.get(path.format(c))[1]["experiment"]["variant"] for c in
                    [f"C{n:05d}" for n in range(1, 21)]}
        again = recs_main(capsys, "api", "experiments", "add", "--db", str(shop), "--id", "cli-ab", "--control", "none",
                         "--treatment", "repeat")
        assert again.returncode == 2 and "already configured" in again.stderr
        listed = recs_main(capsys, "api", "experiments", "--db", str(shop))
        assert listed.returncode == 0, listed.stderr
        table = pd.read_csv(io.StringIO(listed.stdout)).set_index("variant")
        assert table.loc["control", "model"] == "none" and table.loc["treatment", "model"] == "repeat"
        assert table["share"].tolist() == [0.5, 0.5]
        for variant in ("control", "treatment"):  # each customer counted once, in the variant served
            assert table.loc[variant, "assigned_in_spool"] == sum(v == variant for v in variants.values())
        assert recs_main(capsys, "api", "experiments", "remove", "--db", str(shop), "--id", "cli-ab").returncode == 0
        deadline = time.monotonic() + 30
        while server.get(path.format("C00001"))[0] != 404:
            assert time.monotonic() < deadline, "the service never dropped the removed experiment"
            time.sleep(0.1)
    finally:
        server.stop()
