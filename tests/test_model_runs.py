"""Trained models as values (recs.runs), the shelf shared by sessions, and which model a page shows
(recs.model_choice), on a real warehouse file, without Streamlit."""

from __future__ import annotations

import json
import threading

import pytest

from recs.db import connect, orders_version, refresh_derived
from recs.errors import InputError, NotFound
from recs.model_choice import chosen_run, load_stored, preview_default, run_for_preview
from recs.models.store import model_path
from recs.rules import Rules, format_boost, parse_boost, parse_ids
from recs.runs import ModelShelf, RunKey, TrainedModel, run_key
from recs.training import is_stale, train_model
from tests.test_training import make_shop


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.duckdb"
    make_shop(path)
    return path


@pytest.fixture
def con(shop):
    con = connect(shop)
    yield con
    con.close()


def _add_order(con) -> None:
    con.execute("INSERT INTO order_lines VALUES ('late', 0, 'c1', TIMESTAMP '2024-04-02', 'p1', 1, 2, 'completed', "
                "'UK', 1)")
    con.execute("INSERT INTO imports VALUES (9, 'orders', 'z.csv', 'zz', 'csv', 1, 1, 0, now(), now(), NULL)")
    refresh_derived(con)


def test_metadata_round_trips_and_older_files_still_read(con, shop) -> None:
    run = train_model(con, shop, "popular", params={"half_life_days": "7"})
    again = TrainedModel.from_meta(run.model, json.loads(model_path(shop, "popular").with_suffix(".json").read_text()))
    assert again.meta() == run.meta() and again.params == {"half_life_days": 7.0}
    old = {k: v for k, v in run.meta().items() if k != "fingerprint"} | {"metrics": {}, "note": "kept"}
    older = TrainedModel.from_meta(run.model, old)
    assert older.fingerprint is None and older.data_version is None and not is_stale(con, older)
    assert "metrics" not in older.meta() and older.meta()["note"] == "kept"
    assert run.identity() != train_model(con, shop, "popular", store=False).identity()


def test_shelf_keeps_the_most_recently_used_runs(con, shop) -> None:
    runs = {name: train_model(con, shop, name, store=False) for name in ("popular", "repeat", "item_knn")}
    shelf = ModelShelf(size=2)
    keys = {name: shelf.put(7, run) for name, run in runs.items()}
    assert len(shelf) == 2 and shelf.get(keys["popular"]) is None  # the oldest went first
    assert shelf.get(keys["repeat"]) is runs["repeat"]  # ... and a get counts as a use
    shelf.put(7, runs["popular"])
    assert shelf.get(keys["item_knn"]) is None and shelf.get(keys["repeat"]) is runs["repeat"]
    assert shelf.latest(7, "popular") == keys["popular"] and shelf.latest(8, "popular") is None
    assert keys["popular"] == run_key(7, runs["popular"]) == RunKey(*keys["popular"])  # survives session state
    assert keys["popular"].name == "popular" and keys["popular"].version == 7


def test_shelf_is_safe_for_many_threads(con, shop) -> None:
    runs = [train_model(con, shop, "popular", params={"half_life_days": d}, store=False) for d in (1, 2, 3, 4, 5)]
    shelf = ModelShelf(size=3)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for n in range(300):
                key = shelf.put(n % 2, runs[(i + n) % len(runs)])
                shelf.get(key)
                shelf.latest(n % 2, "popular")
                assert len(shelf) <= 3
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(shelf) == 3


def test_which_model_a_page_shows(con, shop) -> None:
    shelf = ModelShelf()
    version = orders_version(con)
    assert run_for_preview(shelf, con, shop, "popular", None) is None  # nothing trained: the page offers a button
    stored = train_model(con, shop, "popular")
    found = run_for_preview(shelf, con, shop, "popular", None)  # the stored model, read once, then shelved
    assert found is not None and found.meta() == stored.meta() and len(shelf) == 1
    assert run_for_preview(shelf, con, shop, "popular", None) is found
    chosen = shelf.put(version, train_model(con, shop, "repeat", store=False))
    assert chosen_run(shelf, chosen, version).name == "repeat"
    assert run_for_preview(shelf, con, shop, "repeat", chosen) is shelf.get(chosen)
    assert run_for_preview(shelf, con, shop, "popular", chosen) is found  # another name: not the chosen one
    assert preview_default(shelf, chosen, version, newest_stored="popular") == "repeat"
    assert preview_default(shelf, None, version, newest_stored="popular") == "popular"

    _add_order(con)  # new data: the chosen run and the stored model no longer serve it
    now = orders_version(con)
    assert now != version and chosen_run(shelf, chosen, now) is None
    assert preview_default(shelf, chosen, now, newest_stored=None) is None
    assert run_for_preview(ModelShelf(), con, shop, "popular", chosen) is None  # stored but stale
    key = load_stored(shelf, con, shop, "popular")  # "Use this model" takes it anyway
    assert key.version == now and shelf.get(key).name == "popular"
    with pytest.raises(NotFound):
        load_stored(shelf, con, shop, "ease")


def test_boost_and_id_lists_as_typed() -> None:
    assert parse_ids(" P1, P2;P3 ,, ") == ["P1", "P2", "P3"] and parse_ids(None) == []
    assert parse_boost("P1:2, P2:1.5; P3") == {"P1": 2.0, "P2": 1.5, "P3": 2.0}
    assert parse_boost(format_boost({"A": 3.0, "B": 0.5})) == {"A": 3.0, "B": 0.5}
    with pytest.raises(InputError, match="PRODUCT:FACTOR"):
        parse_boost("P1:lots")
    with pytest.raises(InputError, match="positive"):
        Rules(boost=parse_boost("P1:-1"))
