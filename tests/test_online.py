"""Online updates leave the shared models untouched: the new purchases live in the overlay and in folded views."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from recs.models.folding import fold, folded_row
from recs.rules import Rules, default_intent, with_intent
from recs.service.online import FoldCache, Overlay, Purchase, recommend_online
from recs.service.spool import DoneMark


@pytest.fixture(scope="module")
def models(demo_db, tmp_path_factory):
    from recs.db import connect
    from recs.training import train_model

    # a private copy: an AppTest of this worker may hold the shared demo file open with another configuration
    copy = tmp_path_factory.mktemp("online") / "demo.duckdb"
    shutil.copy(demo_db, copy)
    con = connect(copy, read_only=True)
    try:
        out = {name: train_model(con, None, name, store=False).model for name in ("item_knn", "als", "popular",
                                                                                  "repeat")}
        small = {"windows": 1, "max_iter": 30, "max_customers": 1000}  # a quick hybrid: same parts, fewer trees
        out["hybrid"] = train_model(con, None, "hybrid", params=small, store=False).model
        return out
    finally:
        con.close()


def _snapshot(model) -> dict:
    return {k: (id(v), v.copy() if isinstance(v, np.ndarray) else None) for k, v in vars(model).items()}


@pytest.mark.parametrize("name", ["item_knn", "als", "popular", "repeat", "hybrid"])
def test_serving_with_new_purchases_never_writes_to_the_model(models, name):
    model = models[name]
    before = _snapshot(model)
    customer = str(model.data_.customer_ids[3])
    bought = (Purchase("PET-009", "o-1", "", 0), Purchase("HOU-005", "o-1", "", 0))
    frame = recommend_online(model, customer, 10, Rules(), bought, FoldCache(), "key")
    assert not {"PET-009", "HOU-005"} & set(frame["product_id"])
    after = _snapshot(model)
    assert before.keys() == after.keys()
    for key, (ident, arr) in before.items():
        assert after[key][0] == ident, key
        if arr is not None:
            assert np.array_equal(arr, after[key][1]), key


def test_a_folded_row_adds_the_new_orders_and_restarts_the_cycle(models):
    data = models["item_knn"].data_
    customer = str(data.customer_ids[0])
    r = data.customer_index(customer)
    j = int(data.counts[r].indices[0])
    product = str(data.product_ids[j])
    row = folded_row(data, customer, [(product, "n-1"), (product, "n-2")])
    assert row.counts[0, j] == data.counts[r, j] + 2
    assert row.last_days[0, j] < 0.01
    assert row.matrix.nnz == data.matrix[r].nnz


def test_the_overlay_forgets_purchases_a_newer_model_has_seen():
    overlay = Overlay()
    overlay.add("C1", [Purchase("P1", "o-1", "spool-a.jsonl", 100)])
    overlay.add("C1", [Purchase("P2", "o-2", "spool-a.jsonl", 200)])
    assert len(overlay.since("C1", 5)) == 2
    overlay.set_done({"spool-a.jsonl": DoneMark(offset=100, import_id=6)})  # o-1 imported by import #6
    assert len(overlay.since("C1", 5)) == 2  # a model trained before import #6 has seen neither
    assert [p.order_id for p in overlay.since("C1", 6)] == ["o-2"]
    assert overlay.orders_since(6) == 1 and overlay.orders_since(None) == 2


@pytest.mark.parametrize("name", ["item_knn", "als", "repeat", "hybrid"])
def test_a_fold_without_new_purchases_is_the_model_itself(models, name):
    """The folded view of a customer with nothing new gives their stored list exactly (same parts, one row)."""
    model = models[name]
    rules = with_intent(Rules(), default_intent(model))
    for r in (0, 7, 42):
        customer = str(model.data_.customer_ids[r])
        want = model.recommend([customer], k=10, rules=rules)
        got = fold(model, folded_row(model.data_, customer, [])).recommend([customer], k=10, rules=rules)
        assert got["product_id"].tolist() == want["product_id"].tolist()
        assert got["reason"].tolist() == want["reason"].tolist()
        assert got["score"].tolist() == pytest.approx(want["score"].tolist(), rel=1e-6)


@pytest.mark.parametrize("name", ["repeat", "hybrid"])
def test_a_rebuy_counts_at_once_in_the_customers_own_history(models, name):
    """A re-buy model folds a new order into the customer's own history: one more order of the product, bought
    0 days ago (its cycle restarts), said in the reason."""
    model = models[name]
    rules = with_intent(Rules(), default_intent(model))
    customer = str(model.data_.customer_ids[5])
    r = model.data_.customer_index(customer)
    j = int(model.data_.counts[r].indices[np.argmax(model.data_.counts[r].data)])  # their most bought product
    product, times = str(model.data_.product_ids[j]), int(model.data_.counts[r, j])
    frame = recommend_online(model, customer, 50, rules, (Purchase(product, "o-new", "", 0),), FoldCache(), "key")
    reason = frame.loc[frame["product_id"] == product, "reason"].iloc[0].lower()
    assert f"bought {times + 1:,} times" in reason and re.search(r"last (bought )?0 days ago", reason)
