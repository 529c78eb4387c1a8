"""Which model run a page shows: the session's own choice, else the newest run trained on the data now.

The rules, in one place for the Recommendations, Customer and Product pages:
- a session's choice (`Choice`: its chosen run, and the run it uses for each model name) changes only by what
  the session does (train, "Use this run", first sight), never by another session's training;
- a new session opens on the newest readable run trained on the data now (`recs.training.current_runs`), and
  keeps it from then on (pinned in its choice); a run that turns out damaged on loading is skipped (and said once);
- a preview of model NAME uses the chosen run when it is NAME, else the session's run of NAME, else the newest
  current run of NAME (pinned too);
- a chosen run stays chosen when new data arrives: it is then stale, which the pages say (and an export asks to
  confirm); a run deleted meanwhile is dropped from the choice.
Loaded runs are shared by every session through the `ModelShelf` (read-only). Nothing here trains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recs.errors import NotFound
from recs.models import store
from recs.models.store import DamagedRun
from recs.runs import ModelShelf, TrainedModel
from recs.training import current_runs


@dataclass
class Choice:
    """What one session has chosen: the run its pages show first, and its run for each model name (run ids)."""

    chosen: str | None = None
    by_name: dict[str, str] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)  # runs found damaged on loading: id -> message
    news: list[str] = field(default_factory=list)  # messages about such runs a page has not shown yet

    def choose(self, run: TrainedModel) -> None:
        """Make `run` this session's chosen run (and its run of that model name)."""
        self.chosen = run.key
        self.by_name[run.name] = run.key

    def forget(self, run_id: str) -> None:
        """Drop a run (deleted, or damaged) from the choice."""
        if self.chosen == run_id:
            self.chosen = None
        self.by_name = {n: r for n, r in self.by_name.items() if r != run_id}


def resolve(shelf: ModelShelf, db_path: str | Path, run_id: str | None) -> TrainedModel | None:
    """The run `run_id` from the shelf, else loaded from disk and shelved; None when there is no such run (or its
    file was deleted). DamagedRun (a RepeatError) when its files cannot be read."""
    if run_id is None:
        return None
    found = shelf.get(run_id)
    if found is not None:
        if found.path is not None and not found.path.exists():  # deleted by another session or the CLI
            shelf.drop(run_id)
            return None
        return found
    try:
        run = store.load_run(db_path, run_id)
    except NotFound:
        return None
    shelf.put(run)
    return run


def _pinned(shelf: ModelShelf, db_path: str | Path, choice: Choice, run_id: str | None) -> TrainedModel | None:
    """The run `run_id` of this session; a run gone or damaged (noted once in `choice.news`) is dropped."""
    if run_id is None or run_id in choice.unreadable:
        return None
    run = None
    try:
        run = resolve(shelf, db_path, run_id)
    except DamagedRun as exc:  # the header read fine, the arrays did not: skip it from now on
        choice.unreadable[run_id] = str(exc)
        choice.news.append(str(exc))
    if run is None:
        choice.forget(run_id)
    return run


def _newest(shelf: ModelShelf, con: Any, db_path: str | Path, choice: Choice, name: str | None,
            fingerprint: dict[str, Any] | None) -> TrainedModel | None:
    """The newest current run (of `name`, or any) this session can load."""
    for info in current_runs(con, db_path, name=name, fingerprint=fingerprint):
        run = _pinned(shelf, db_path, choice, info.run_id)
        if run is not None:
            return run
    return None


def session_run(shelf: ModelShelf, con: Any, db_path: str | Path, choice: Choice,
                fingerprint: dict[str, Any] | None = None) -> TrainedModel | None:
    """The session's chosen run; with none yet, the newest current run, which becomes its choice; None when
    there is neither. `fingerprint` is the data now (`recs.training.data_fingerprint`), when the caller has it."""
    run = _pinned(shelf, db_path, choice, choice.chosen)
    if run is not None:
        return run
    run = _newest(shelf, con, db_path, choice, None, fingerprint)
    if run is not None:
        choice.choose(run)
    return run


def run_for_name(shelf: ModelShelf, con: Any, db_path: str | Path, name: str, choice: Choice,
                 fingerprint: dict[str, Any] | None = None) -> TrainedModel | None:
    """The session's run of model `name` (see the module's rules); None when it must be trained."""
    run = _pinned(shelf, db_path, choice, choice.by_name.get(name))  # the chosen run is its name's run too
    if run is not None:
        return run
    run = _newest(shelf, con, db_path, choice, name, fingerprint)
    if run is not None:
        choice.by_name[name] = run.key
    return run


def use_run(shelf: ModelShelf, db_path: str | Path, choice: Choice, run_id: str) -> TrainedModel:
    """"Use this run": load `run_id` (whatever data it was trained on) and make it the session's choice.
    NotFound / DamagedRun (RepeatErrors) when it cannot be used."""
    run = resolve(shelf, db_path, run_id)
    if run is None:
        raise NotFound(f"model run {run_id!r} no longer exists (deleted meanwhile?)")
    choice.choose(run)
    return run


def delete(shelf: ModelShelf, db_path: str | Path, choice: Choice, run_id: str) -> None:
    """Delete a stored run, drop it from the shelf and from this session's choice (other sessions notice the file
    is gone on their next look)."""
    store.delete_run(db_path, run_id)
    shelf.drop(run_id)
    choice.forget(run_id)


def run_for_export(con: Any, db_path: str | Path, run_id: str, allow_stale: bool = False) -> TrainedModel:
    """The stored run `run_id` for a campaign list (`python -m recs recommend --run ID`). InputError when it is
    stale (trained before the data changed) unless `allow_stale`; NotFound / DamagedRun when it cannot be used."""
    from recs.errors import InputError
    from recs.training import data_fingerprint, staleness

    run = store.load_run(db_path, run_id)
    why = staleness(run, data_fingerprint(con))
    if why is not None and not allow_stale:
        raise InputError(f"run {run_id} of {run.name} is stale: {why}. Train it again (python -m recs train) or "
                         "pass --allow-stale to export from it anyway")
    return run
