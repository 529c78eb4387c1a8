"""The service's helper process (recs/service/helper_process.py): folds and prepared lists made in a child process
equal the ones made in this process, and a child that dies is started again at the next job."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from recs.service.helper_process import HelperProcess
from recs.service.lists import COLD, items_of, prepared_lists
from recs.service.online import Purchase, folded_list
from recs.service.serving import ModelRegistry, run_version
from tests.test_api_support import copy_shop, train


@pytest.fixture(scope="module")
def shop(demo_db, tmp_path_factory):
    db = copy_shop(demo_db, tmp_path_factory.mktemp("helper"))
    train(db, "repeat")
    return db


def _fold(helper: HelperProcess, job: dict) -> tuple[str, object]:
    done, answer = threading.Event(), {}

    def callback(kind: str, payload: object) -> None:
        answer["kind"], answer["payload"] = kind, payload
        done.set()

    helper.send("fold", job, callback)
    assert done.wait(120), "the helper process did not answer"
    return answer["kind"], answer["payload"]


def test_lists_and_folds_from_the_child_equal_the_ones_made_here(shop):
    served = ModelRegistry(shop, "repeat")
    served.start()
    snapshot = served.get(None)
    model, rules = snapshot.run.model, snapshot.bundle.rules
    helper = HelperProcess(shop)
    try:
        lists = helper.lists(snapshot.name, snapshot.version, rules)
        here = prepared_lists(model, rules, [*map(str, model.data_.customer_ids), COLD])
        assert lists == here and len(lists) == model.data_.n_customers + 1

        customer, product = str(model.data_.customer_ids[7]), str(model.data_.product_ids[3])
        purchases = (Purchase(product, "order-1", "spool-file", 10),)
        kind, items = _fold(helper, {"name": snapshot.name, "version": snapshot.version, "customer_id": customer,
                                     "rules": rules, "purchases": purchases})
        assert kind == "fold" and items == items_of(folded_list(model, customer, rules, purchases))

        # a version the store does not hold: no fold (the service answers unfolded), no failure
        assert _fold(helper, {"name": snapshot.name, "version": "no-such-run", "customer_id": customer,
                              "rules": rules, "purchases": purchases}) == ("fold", None)
        assert helper.lists(snapshot.name, "no-such-run", rules) is None
    finally:
        helper.stop()
    assert run_version(snapshot.run) == snapshot.version


def test_a_child_that_dies_is_started_again(shop):
    served = ModelRegistry(shop, "repeat")
    served.start()
    snapshot = served.get(None)
    helper = HelperProcess(shop)
    customer = str(snapshot.run.model.data_.customer_ids[0])
    job = {"name": snapshot.name, "version": snapshot.version, "customer_id": customer,
           "rules": snapshot.bundle.rules,
           "purchases": (Purchase(str(snapshot.run.model.data_.product_ids[0]), "o", "f", 1),)}
    try:
        first = _fold(helper, job)
        assert first[0] == "fold"
        child = helper._proc  # noqa: SLF001 - the test kills our own child process
        os.kill(child.pid, signal.SIGKILL)
        child.join(60)
        # the reader notices the death; the next job starts a new child and gets the same answer
        assert _fold(helper, job) == first
        assert helper._proc.pid != child.pid  # noqa: SLF001
    finally:
        helper.stop()
