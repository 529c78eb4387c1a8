"""Trained models as values (recs.runs), the shelf shared by sessions, and which run a page shows
(recs.model_choice), on a real warehouse file, without Streamlit."""

from __future__ import annotations

import json
import threading

import pytest

from recs.db import connect, refresh_derived
from recs.errors import InputError, NotFound
from recs.model_choice import Choice, delete, resolve, run_for_name, session_run, use_run
from recs.rules import Rules, format_boost, parse_boost, parse_ids
from recs.runs import ModelShelf, TrainedModel
from recs.training import data_fingerprint, is_stale, staleness, train_model
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
    again = TrainedModel.from_meta(run.model, json.loads(run.path.with_suffix(".json").read_text()))
    assert again.meta() == run.meta() and again.params == {"half_life_days": 7.0} and again.run_id == run.run_id
    old = {k: v for k, v in run.meta().items() if k not in ("fingerprint", "data_fingerprint", "run_id")}
    older = TrainedModel.from_meta(run.model, old | {"metrics": {}, "note": "kept"}, run_id="popular")
    assert older.fingerprint is None and older.data_version is None and not is_stale(con, older)
    assert older.run_id == "popular" and "metrics" not in older.meta() and older.meta()["note"] == "kept"
    with_old_key = TrainedModel.from_meta(run.model, old | {"fingerprint": run.fingerprint})
    assert with_old_key.fingerprint == run.fingerprint  # files of the one-slot layout named it 'fingerprint'
    assert run.identity() != train_model(con, shop, "popular", store=False).identity()


def test_shelf_keeps_the_most_recently_used_runs(con, shop) -> None:
    runs = {name: train_model(con, shop, name, store=False) for name in ("popular", "repeat", "item_knn")}
    shelf = ModelShelf(size=2)
    keys = {name: shelf.put(run) for name, run in runs.items()}
    assert keys == {name: run.run_id for name, run in runs.items()}
    assert len(shelf) == 2 and shelf.get(keys["popular"]) is None  # the oldest went first
    assert shelf.get(keys["repeat"]) is runs["repeat"]  # ... and a get counts as a use
    shelf.put(runs["popular"])
    assert shelf.get(keys["item_knn"]) is None and shelf.get(keys["repeat"]) is runs["repeat"]
    shelf.drop(keys["repeat"])
    assert shelf.get(keys["repeat"]) is None and len(shelf) == 1


def test_shelf_is_safe_for_many_threads(con, shop) -> None:
    runs = [train_model(con, shop, "popular", params={"half_life_days": d}, store=False) for d in (1, 2, 3, 4, 5)]
    shelf = ModelShelf(size=3)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for n in range(300):
                key = shelf.put(runs[(i + n) % len(runs)])
                shelf.get(key)
                if n % 7 == 0:
                    shelf.drop(key)
                assert len(shelf) <= 3
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(shelf) <= 3


def test_which_run_a_page_shows(con, shop) -> None:
    shelf, mine, theirs = ModelShelf(), Choice(), Choice()
    assert session_run(shelf, con, shop, mine) is None  # nothing trained: the page offers a button
    assert run_for_name(shelf, con, shop, "popular", mine) is None
    first = train_model(con, shop, "popular")
    found = session_run(shelf, con, shop, mine)  # a new session opens on the newest current run, read once
    assert found is not None and found.run_id == first.run_id and mine.chosen == first.run_id and len(shelf) == 1
    assert session_run(shelf, con, shop, mine) is found

    other = train_model(con, shop, "popular", params={"half_life_days": 3})  # another session trains
    theirs.choose(other)
    assert session_run(shelf, con, shop, mine).run_id == first.run_id  # ... and this session's choice holds
    assert run_for_name(shelf, con, shop, "popular", mine).run_id == first.run_id
    assert session_run(shelf, con, shop, Choice()).run_id == other.run_id  # a new session opens on the newest
    repeat = train_model(con, shop, "repeat")
    assert run_for_name(shelf, con, shop, "repeat", mine).run_id == repeat.run_id  # first sight: the newest
    assert mine.by_name["repeat"] == repeat.run_id and mine.chosen == first.run_id
    train_model(con, shop, "repeat", params={"half_life_days": 30})
    assert run_for_name(shelf, con, shop, "repeat", mine).run_id == repeat.run_id  # pinned from then on

    _add_order(con)  # new data: the chosen run stays chosen, and is stale
    now = data_fingerprint(con)
    assert session_run(shelf, con, shop, mine).run_id == first.run_id and is_stale(con, first)
    assert "1 sales lines" not in staleness(first, now) and "(import #9)" in staleness(first, now)
    assert session_run(shelf, con, shop, Choice()) is None  # a new session: no current run
    assert run_for_name(shelf, con, shop, "ease", Choice()) is None
    assert use_run(shelf, shop, mine, other.run_id).run_id == other.run_id  # "Use this run" takes it anyway
    assert mine.chosen == other.run_id and mine.by_name["popular"] == other.run_id
    with pytest.raises(NotFound):
        use_run(shelf, shop, mine, "20200101-000000-ease-0000")

    delete(shelf, shop, mine, other.run_id)  # deleted: dropped from the shelf and the choice
    assert mine.chosen is None and "popular" not in mine.by_name and shelf.get(other.run_id) is None
    theirs_view = resolve(ModelShelf(), shop, other.run_id)
    assert theirs_view is None  # another session notices the file is gone


def test_boost_and_id_lists_as_typed() -> None:
    assert parse_ids(" P1, P2;P3 ,, ") == ["P1", "P2", "P3"] and parse_ids(None) == []
    assert parse_boost("P1:2, P2:1.5; P3") == {"P1": 2.0, "P2": 1.5, "P3": 2.0}
    assert parse_boost(format_boost({"A": 3.0, "B": 0.5})) == {"A": 3.0, "B": 0.5}
    with pytest.raises(InputError, match="PRODUCT:FACTOR"):
        parse_boost("P1:lots")
    with pytest.raises(InputError, match="positive"):
        Rules(boost=parse_boost("P1:-1"))
