"""The recommendation service end to end: a real `python -m recs api` (uvicorn) on a free port, on a demo shop."""

from __future__ import annotations

import io
import subprocess
import sys
import time

import pandas as pd
import pytest

from tests.test_api_support import KEY, REPO, ApiServer, copy_shop, order, spool_text, train, wait_for

CUSTOMERS = ["C00010", "C00011", "C00123", "C01000", "C04321"]


@pytest.fixture(scope="module")
def shop(demo_db, tmp_path_factory):
    db = copy_shop(demo_db, tmp_path_factory.mktemp("api"))
    train(db, "item_knn", "als", "popular", "repeat")
    return db


@pytest.fixture(scope="module")
def api(shop):
    server = ApiServer(shop, extra=["--model", "item_knn"]).start()
    yield server
    server.stop()


def cli_lists(db, model: str) -> pd.DataFrame:
    out = subprocess.run([sys.executable, "-m", "recs", "recommend", "--db", str(db), "--model", model, "--k", "10"],
                         cwd=REPO, capture_output=True, text=True, check=True).stdout
    return pd.read_csv(io.StringIO(out), dtype={"customer_id": str, "product_id": str})


def same_call_lists(db, model: str) -> pd.DataFrame:
    """What `python -m recs recommend` computes, called in this process (the CLI's own functions)."""
    from recs.db import connect
    from recs.export import fit_model
    from recs.rules import Rules

    con = connect(db, read_only=True)
    try:
        fitted = fit_model(con, model).model
    finally:
        con.close()
    return fitted.recommend(CUSTOMERS, k=10, rules=Rules(exclude_purchased=True))


@pytest.mark.parametrize("model", ["item_knn", "als", "repeat"])
def test_lists_equal_the_cli_recommend(api, shop, model):
    """repeat is a re-buy model: the CLI's default intent keeps purchased products, and so must the service."""
    expected = same_call_lists(shop, model) if model == "als" else cli_lists(shop, model)
    for customer in CUSTOMERS:
        status, body, _ = api.get(f"/v1/recommendations?customer_id={customer}&k=10&model={model}")
        assert status == 200, body
        assert body["model"] == model and body["version"]
        want = expected[expected["customer_id"] == customer]
        assert [i["product_id"] for i in body["items"]] == want["product_id"].tolist()
        assert [i["reason"] for i in body["items"]] == want["reason"].tolist()
        assert [i["score"] for i in body["items"]] == pytest.approx(want["score"].tolist(), rel=1e-5)


@pytest.mark.parametrize("model", ["item_knn", "als", "popular"])
def test_a_posted_order_changes_the_next_list_at_once(api, model):
    customer = {"item_knn": "C00200", "als": "C00201", "popular": "C00202"}[model]
    before = api.get(f"/v1/recommendations?customer_id={customer}&k=10&model={model}")[1]["items"]
    bought = [before[0]["product_id"], before[1]["product_id"]]
    start = time.monotonic()
    status, body, _ = api.post("/v1/orders", order(f"live-{model}", customer, bought))
    assert status == 201 and body == {"order_id": f"live-{model}", "status": "accepted"}
    after = api.get(f"/v1/recommendations?customer_id={customer}&k=10&model={model}")[1]["items"]
    assert time.monotonic() - start < 1.0
    assert not {i["product_id"] for i in after} & set(bought)
    assert len(after) == 10


def test_unknown_customer_gets_cold_start_or_the_products_similar_items(api):
    cold = api.get("/v1/recommendations?customer_id=never-seen&k=5")[1]
    assert len(cold["items"]) == 5 and all(i["reason"] for i in cold["items"])
    similar = api.get("/v1/similar?product_id=PET-009&k=5")[1]
    on_page = api.get("/v1/recommendations?customer_id=never-seen&k=5&product_id=PET-009")[1]
    assert [i["product_id"] for i in on_page["items"]] == [i["product_id"] for i in similar["items"]]
    assert "PET-009" not in [i["product_id"] for i in similar["items"]]


def test_a_repeated_order_id_answers_200_and_writes_nothing(api, shop):
    first = api.post("/v1/orders", order("dup-1", "C00300", ["PET-009"]))
    before = spool_text(shop)
    second = api.post("/v1/orders", order("dup-1", "C00300", ["PET-009"]))
    assert first[0] == 201 and second[0] == 200 and second[1]["status"] == "duplicate"
    assert spool_text(shop) == before and before.count('"dup-1"') == 1


GOOD = order("bad-input", "C00400", ["PET-009"])


def _with(path: list, value) -> dict:
    import copy

    body = copy.deepcopy(GOOD)
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


@pytest.mark.parametrize(("body", "status", "field"), [
    (_with(["lines", 0, "product_id"], "NO-SUCH-PRODUCT"), 422, "lines[0].product_id"),
    (_with(["lines", 0, "quantity"], 0), 422, "lines[0].quantity"),
    (_with(["lines", 0, "quantity"], -2), 422, "lines[0].quantity"),
    (_with(["customer_id"], KeyError), 422, "customer_id"),
    (_with(["lines"], []), 422, "lines"),
    (_with(["ordered_at"], "the day after tomorrow"), 422, "ordered_at"),
    (_with(["lines", 0, "unit_price"], "cheap"), 422, "lines[0].unit_price"),
], ids=["unknown product", "zero quantity", "negative quantity", "missing field", "no lines", "bad date",
        "price not a number"])
def test_bad_orders_are_refused_naming_the_field_and_nothing_is_written(api, shop, body, status, field):
    before = spool_text(shop)
    code, answer, _ = api.post("/v1/orders", body)
    assert code == status, answer
    assert answer["error"]["field"] == field and answer["error"]["reason"]
    assert spool_text(shop) == before


def test_a_body_over_the_cap_is_refused(api, shop):
    before = spool_text(shop)
    big = _with(["country"], "x" * 100)
    big["padding"] = "x" * 70_000
    code, answer, _ = api.post("/v1/orders", big)
    assert code == 413 and answer["error"]["field"] == "body"
    assert spool_text(shop) == before


@pytest.mark.parametrize("key", [None, "wrong-key"], ids=["missing key", "wrong key"])
def test_every_endpoint_but_health_needs_the_key(api, key):
    for path in ("/v1/models", "/v1/recommendations?customer_id=C00010", "/v1/similar?product_id=PET-009"):
        code, answer, _ = api.get(path, key=key)
        assert code == 401 and answer["error"]["field"] == "X-API-Key"
    assert api.post("/v1/orders", GOOD, key=key)[0] == 401
    assert api.get("/v1/health", key=None)[0] == 200


@pytest.mark.parametrize(("path", "field", "status"), [
    ("/v1/recommendations?customer_id=C00010&model=nope", "model", 404),
    ("/v1/recommendations?customer_id=C00010&experiment=nope", "experiment", 404),
    ("/v1/recommendations?customer_id=C00010&k=0", "k", 422),
    ("/v1/recommendations?k=3", "customer_id", 422),
    ("/v1/similar?product_id=NO-SUCH", "product_id", 404),
])
def test_bad_queries_name_the_field(api, path, field, status):
    code, answer, _ = api.get(path)
    assert code == status and answer["error"]["field"] == field, answer


def test_models_says_what_serves(api):
    info = api.get("/v1/models")[1]
    assert info["default"] == "item_knn" and set(info["stored"]) >= {"item_knn", "als", "popular"}
    serving = info["serving"]
    assert serving["model"] == "item_knn" and serving["version"] and serving["trained_at"]
    assert serving["customers"] > 1000 and serving["data_version"] == 1


def test_without_a_trained_model_the_service_says_so(empty_db):
    server = ApiServer(empty_db).start()
    try:
        info = server.get("/v1/models")[1]
        assert info["serving"] is None and "no trained model" in info["message"]
        code, body, headers = server.get("/v1/recommendations?customer_id=C1&k=5")
        assert code == 200 and body["items"] == [] and body["cold_start"]
        assert "no trained model" in headers["x-repeat-cold-start"]
    finally:
        server.stop()


def test_a_public_address_without_a_key_is_refused(empty_db):
    result = subprocess.run([sys.executable, "-m", "recs", "api", "--db", str(empty_db), "--host", "0.0.0.0"],
                            cwd=REPO, capture_output=True, text=True, env={"PATH": "/usr/bin"}, timeout=60)
    assert result.returncode == 2 and "without an API key" in result.stderr and "Traceback" not in result.stderr
    assert KEY not in result.stderr


@pytest.mark.parametrize("model", ["item_knn", "als"])
def test_a_new_customers_first_order_personalises_their_list(api, model):
    customer = f"first-time-{model}"
    cold = api.get(f"/v1/recommendations?customer_id={customer}&k=10&model={model}")[1]["items"]
    assert all("no purchase history yet" in i["reason"] for i in cold)
    assert api.post("/v1/orders", order(f"first-{model}", customer, ["PET-009"]))[0] == 201
    first = api.get(f"/v1/recommendations?customer_id={customer}&k=10&model={model}")[1]["items"]
    assert "PET-009" not in [i["product_id"] for i in first]  # at once, folded or not yet

    def folded() -> list:  # folded in the background (at once on a quiet machine): no cold-start reasons
        items = api.get(f"/v1/recommendations?customer_id={customer}&k=10&model={model}")[1]["items"]
        return items if not any("no purchase history yet" in i["reason"] for i in items) else []

    after = wait_for(folded, what="the folded list")
    assert "PET-009" not in [i["product_id"] for i in after]
    if model == "item_knn":  # the scores now come from what they bought
        assert any("Clumping Cat Litter 10L" in i["reason"] for i in after)


def test_prepared_lists_equal_the_live_ones_for_every_k(api, shop):
    from recs.models.store import load_model
    from recs.rules import Rules

    deadline = time.monotonic() + 60
    while not api.get("/v1/models")[1]["serving"]["lists_prepared"]:
        assert time.monotonic() < deadline, "lists never prepared"
        time.sleep(0.1)
    model = load_model(shop, "item_knn").model
    for k in (1, 3, 10, 20):
        want = model.recommend([*CUSTOMERS, "never-seen"], k=k, rules=Rules())
        for customer in [*CUSTOMERS, "never-seen"]:
            got = api.get(f"/v1/recommendations?customer_id={customer}&k={k}")[1]["items"]
            assert [i["product_id"] for i in got] == want[want["customer_id"] == customer]["product_id"].tolist()
