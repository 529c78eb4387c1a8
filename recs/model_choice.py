"""Which trained model a page shows: the session's choice, a shelved run, or a stored model still current.

The rules, in one place for the Recommendations, Customer and Product pages:
- the session's chosen run counts only while it serves the data now (same orders version) and is still shelved;
- a preview of model NAME uses the chosen run when it is NAME, else the run of NAME used most recently on the data
  now, else the stored NAME when it was trained on the data now (loaded once per process, then shelved);
- a preview page opens on the chosen run's model, else on the stored model trained most recently on the data now
  (`recs.training.newest_current_model`).
Nothing here trains: a page offers a button for that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recs import db
from recs.errors import RepeatError
from recs.models import store
from recs.runs import ModelShelf, RunKey, TrainedModel
from recs.training import is_stale


def chosen_run(shelf: ModelShelf, chosen: RunKey | None, version: int) -> TrainedModel | None:
    """The session's chosen run when it serves data version `version` and is still shelved, else None."""
    if chosen is None or chosen.version != version:
        return None
    return shelf.get(chosen)


def run_for_preview(shelf: ModelShelf, con: Any, db_path: str | Path, name: str,
                    chosen: RunKey | None) -> TrainedModel | None:
    """A trained model `name` serving the data now (see the module's rules), or None when it must be trained."""
    version = db.orders_version(con)
    run = chosen_run(shelf, chosen, version)
    if run is not None and chosen is not None and chosen.name == name:
        return run
    latest = shelf.latest(version, name)
    if latest is not None and (found := shelf.get(latest)) is not None:
        return found
    try:
        stored = store.load_model(db_path, name)
    except RepeatError:  # none stored (NotFound) or unreadable
        return None
    if is_stale(con, stored):
        return None
    shelf.put(version, stored)
    return stored


def load_stored(shelf: ModelShelf, con: Any, db_path: str | Path, name: str) -> RunKey:
    """Shelve the stored model `name` for the data now, whatever it was trained on ("Use this model"); its key.
    NotFound (a RepeatError) when there is no such file."""
    return shelf.put(db.orders_version(con), store.load_model(db_path, name))


def preview_default(shelf: ModelShelf, chosen: RunKey | None, version: int, newest_stored: str | None) -> str | None:
    """The model name a preview page opens on: the chosen run's while it serves data version `version`, else
    `newest_stored` (`recs.training.newest_current_model`, which pages cache: it scans the order lines)."""
    if chosen is not None and chosen_run(shelf, chosen, version) is not None:
        return chosen.name
    return newest_stored
