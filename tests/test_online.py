"""Online updates leave the shared models untouched: the new purchases live in the overlay and in folded views."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from recs.rules import Rules
from recs.service.online import FoldCache, Overlay, Purchase, folded_row, recommend_online
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
        return {name: train_model(con, None, name, store=False).model for name in ("item_knn", "als", "popular")}
    finally:
        con.close()


def _snapshot(model) -> dict:
    return {k: (id(v), v.copy() if isinstance(v, np.ndarray) else None) for k, v in vars(model).items()}


@pytest.mark.parametrize("name", ["item_knn", "als", "popular"])
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
    row = folded_row(data, customer, (Purchase(product, "n-1", "", 0), Purchase(product, "n-2", "", 0)))
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
