"""The predictions the pages show, shared by every page and session of one process: read from the stored files
(`recs/predict/store.py`) once per data version, computed by ONE background worker per process when they are
missing or were made on older data. A page never fits a model itself: it asks `lookup`, which answers at once
with the current item, else the item of older data (marked), else None, and starts the worker when needed.

The worker is a plain thread (no Streamlit call in it) working on its own DuckDB cursor of the process's one
connection (`recs.db`: one connection per process, a cursor per thread). Jobs are queued per database and data
version; a job for older data stops between items when a newer one for the same database is queued.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from recs.background import start_thread
from recs.errors import RepeatError
from recs.predict import store
from recs.predict.data import ShopData
from recs.predict.refresh import DEFAULT_FORECAST, PAGE_ITEMS, REBUY, Outcome, current_fingerprint, refresh_predictions
from recs.predict.store import DamagedPredictions, Item, Stored
from recs.runs import describe_data

__all__ = ["DEFAULT_FORECAST", "REBUY", "Item", "JobStatus", "Shown", "damaged", "fingerprint", "job_status",
           "lookup", "start", "stop_worker", "wait_for", "wait_idle"]

log = logging.getLogger(__name__)
MAX_VALUES = 12  # stored items kept in memory, those pages read (a 10 M-line forecast is about 40 MB)
ESSENTIAL = PAGE_ITEMS[:3]  # the default forecast, re-buy list and 90-day backtest: never left for another shop
RETRY_FAILED_AFTER = 300.0  # seconds before a failed job may run again for the same data
_lock = threading.RLock()
_idle = threading.Condition(_lock)
_values: OrderedDict[tuple[str, str, str], Stored] = OrderedDict()
_fingerprints: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
_problems: dict[tuple[str, str, str], str] = {}
_jobs: OrderedDict[tuple[str, str], _Job] = OrderedDict()
_thread: threading.Thread | None = None
_stopping = threading.Event()


@dataclass(frozen=True)
class Shown:
    """A stored item for a page: `current` False when it was made on data before the last import."""

    stored: Stored
    current: bool

    @property
    def value(self) -> Any:
        return self.stored.value

    @property
    def error(self) -> str | None:
        return self.stored.error

    @property
    def data(self) -> str:
        """The data it was computed on, in words ('12,345 sales lines up to 2024-03-31 (import #2)')."""
        return describe_data(self.stored.fingerprint)


@dataclass(frozen=True)
class JobStatus:
    """What the worker is doing for one database and data version (a snapshot for a page)."""

    state: str  # waiting, running, done, failed, stopped (a newer data version took over)
    lines: int  # valid order lines of the data version
    queued_at: datetime
    started_at: datetime | None
    step: int  # items done
    steps: int
    doing: str  # the item being computed, in words
    error: str | None
    problem: str | None  # an item that could not be stored (it is kept in memory)

    def sentence(self) -> str:
        """'Fitting the forecast on 1,000,000 order lines in the background — started 10:02:11 (...); ...'"""
        if self.state == "waiting":
            return (f"Fitting the forecast on {self.lines:,} order lines in the background — queued at "
                    f"{self.queued_at:%H:%M:%S}; this page updates itself when it is ready.")
        started = self.started_at or self.queued_at
        doing = f"; now {self.doing}" if self.doing else ""
        return (f"Fitting the forecast on {self.lines:,} order lines in the background — started "
                f"{started:%H:%M:%S} ({self.step} of {self.steps} parts done{doing}); this page updates itself "
                "when it is ready.")


class _Job:
    def __init__(self, db_path: str, fingerprint: dict[str, Any], cursor) -> None:
        self.db_path, self.fingerprint, self.cursor = db_path, fingerprint, cursor
        self.version = store.version_name(fingerprint)
        self.queued_at, self.queued_clock = datetime.now(), time.monotonic()
        self.started_at: datetime | None = None
        self.finished_clock = 0.0
        self.state, self.step, self.steps, self.doing = "waiting", 0, len(PAGE_ITEMS), ""
        self.error: str | None = None
        self.problem: str | None = None
        self.asked: list[Item] = []  # items pages asked for, computed first
        self.finished: set[str] = set()  # names of the items done (stored, or kept in memory when not storable)

    def snapshot(self) -> JobStatus:
        return JobStatus(self.state, int(self.fingerprint.get("valid_lines") or 0), self.queued_at, self.started_at,
                         self.step, self.steps, self.doing, self.error, self.problem)


def fingerprint(con, data_key: tuple | None = None) -> dict[str, Any]:
    """The data version now (`recs.training.data_fingerprint`), computed once per page data key (database file,
    last import): one scan of the lines per import, not per rerun."""
    if data_key is None:
        return current_fingerprint(con)
    with _lock:
        found = _fingerprints.get(data_key)
    if found is None:
        found = current_fingerprint(con)
        with _lock:
            _fingerprints[data_key] = found
            while len(_fingerprints) > 16:
                _fingerprints.popitem(last=False)
    return found


def _remember(key: tuple[str, str, str], stored: Stored) -> None:
    with _lock:
        _values[key] = stored
        _values.move_to_end(key)
        while len(_values) > MAX_VALUES:
            _values.popitem(last=False)


def _read(db_path: str, path: Path) -> Stored | None:
    """A stored item through the memory (None when damaged: the reason is kept for the page)."""
    key = (db_path, path.parent.name, path.stem)
    with _lock:
        if key in _values:
            _values.move_to_end(key)
            return _values[key]
    if not path.exists():
        return None
    try:
        stored = store.read(path)
    except DamagedPredictions as exc:
        log.warning("%s", exc)
        with _lock:
            _problems[key] = str(exc)
        return None
    _remember(key, stored)
    return stored


def lookup(con, db_path: str | Path, data_key: tuple | None, item: Item, start_worker: bool = True
           ) -> Shown | None:
    """`item` for the data as it is now (current), else as made on older data (not current), else None. When the
    current one is missing (or damaged), the background worker is started for this database (unless
    `start_worker` is False)."""
    db_path = str(db_path)
    now = fingerprint(con, data_key)
    folder = store.version_dir(db_path, now)
    stored = _read(db_path, folder / f"{item.name}.json")
    if stored is not None:
        return Shown(stored, True)
    if start_worker:
        start(con, db_path, now, item)
    for path in store.older_paths(db_path, now, item):
        stored = _read(db_path, path)
        if stored is not None and stored.error is None:
            return Shown(stored, False)
    return None


def damaged(con, db_path: str | Path, data_key: tuple | None, item: Item) -> str | None:
    """Why the stored `item` of the data now could not be read (it is being recomputed); None when it could."""
    key = (str(db_path), store.version_name(fingerprint(con, data_key)), item.name)
    with _lock:
        return _problems.get(key)


def job_status(con, db_path: str | Path, data_key: tuple | None = None) -> JobStatus | None:
    """The worker's job for this database and the data now, if any."""
    key = (str(db_path), store.version_name(fingerprint(con, data_key)))
    with _lock:
        job = _jobs.get(key)
        return None if job is None else job.snapshot()


def start(con, db_path: str | Path, fingerprint_now: dict[str, Any], asked: Item | None = None) -> JobStatus:
    """Queue the computation of every page item for this database and data version (once; a failed one again
    after RETRY_FAILED_AFTER seconds), `asked` first, and make sure the one worker thread runs. Its cursor is made
    here, from `con`, in the caller's thread."""
    global _thread
    key = (str(db_path), store.version_name(fingerprint_now))
    with _lock:
        job = _jobs.get(key)
        retry = job is not None and job.state in ("failed", "stopped", "done") and (
            job.state != "failed" or time.monotonic() - job.finished_clock > RETRY_FAILED_AFTER)
        if job is None or retry:
            job = _Job(str(db_path), fingerprint_now, con.cursor())
            _jobs[key] = job
            _jobs.move_to_end(key)
            _forget_finished()
        if asked is not None and asked not in job.asked and job.state in ("waiting", "running"):
            job.asked.append(asked)
        if _thread is None or not _thread.is_alive():
            _thread = start_thread(_work, name="repeat-predictions")  # gives way to the pages
        return job.snapshot()


def _forget_finished() -> None:
    finished = [k for k, j in _jobs.items() if j.state in ("done", "failed", "stopped")]
    for k in finished[:-16]:
        del _jobs[k]


def _superseded(job: _Job) -> bool:
    """Stop between items when a newer data version of the same shop is queued, or when another shop is waiting
    and this one has what its pages need most (the first items and those asked for): the shop being looked at
    comes first, and a later visit picks up the rest."""
    with _lock:
        newer = [j for j in _jobs.values() if j.state == "waiting" and j.queued_clock > job.queued_clock]
        if any(j.db_path == job.db_path and j.version != job.version for j in newer):
            return True
        needed = {item.name for item in (*ESSENTIAL, *job.asked)}
        return any(j.db_path != job.db_path for j in newer) and needed <= job.finished


def _run(job: _Job) -> None:
    """Every page item, one at a time: those a page asked for first (in the order asked), then PAGE_ITEMS order;
    one ShopData for all, so the items share their queries and fits."""
    def done(outcome: Outcome) -> None:
        if outcome.problem:  # not stored (e.g. a read-only folder): the pages read it from memory
            job.problem = outcome.problem
            _remember((job.db_path, job.version, outcome.item.name),
                      Stored(outcome.item, outcome.value, outcome.error, job.fingerprint, datetime.now().isoformat(),
                             outcome.seconds))
        with _lock:
            _problems.pop((job.db_path, job.version, outcome.item.name), None)
            job.finished.add(outcome.item.name)
            _idle.notify_all()  # a waiter for this item wakes up

    shop = ShopData(job.cursor)
    left = list(PAGE_ITEMS)
    while left:
        if _stopping.is_set() or _superseded(job):
            with _lock:
                job.state = "stopped"
            return
        with _lock:
            item = next((i for i in job.asked if i in left), left[0])
            job.step, job.doing = len(PAGE_ITEMS) - len(left), item.describe()
        left.remove(item)
        refresh_predictions(job.cursor, job.db_path, (item,), fingerprint=job.fingerprint, done=done, shop=shop,
                            prune=False)
    store.prune(job.db_path, job.fingerprint)
    with _lock:
        job.step, job.doing, job.state = len(PAGE_ITEMS), "", "done"


def _work() -> None:
    """The worker thread: run the waiting jobs one at a time, oldest first, then end."""
    global _thread
    while True:
        with _lock:
            job = next((j for j in _jobs.values() if j.state == "waiting"), None)
            if job is None:
                _thread = None
                _idle.notify_all()
                return
            job.state, job.started_at = "running", datetime.now()
        try:
            _run(job)
        except Exception as exc:  # never let the thread die silently: the page shows what went wrong
            with _lock:
                if _stopping.is_set():
                    job.state = "stopped"  # interrupted by stop_worker: runs again when a page asks
                elif isinstance(exc, RepeatError):
                    job.state, job.error = "failed", str(exc)
                else:
                    log.exception("computing the predictions of %s failed", job.db_path)
                    job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            try:
                job.cursor.close()
            except Exception:  # an already closed cursor
                pass
            with _lock:
                job.finished_clock = time.monotonic()
                _idle.notify_all()


def wait_idle(timeout: float) -> bool:
    """Wait until no job is waiting or running (tests, benchmarks, the CLI); False on timeout."""
    deadline = time.monotonic() + timeout
    with _idle:
        while any(j.state in ("waiting", "running") for j in _jobs.values()):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _idle.wait(min(left, 1.0))
    return True


def wait_for(db_path: str | Path, item: Item, timeout: float) -> bool:
    """Wait until the worker has computed `item` for `db_path`, or has nothing left to do for it (tests, the
    benchmark); False when it did not come."""
    deadline = time.monotonic() + timeout
    with _idle:
        while True:
            jobs = [j for j in _jobs.values() if j.db_path == str(db_path)]
            newest = max(jobs, key=lambda j: j.queued_clock, default=None)
            if newest is not None and item.name in newest.finished:
                return True
            left = deadline - time.monotonic()
            if left <= 0 or newest is None or newest.state not in ("waiting", "running"):
                return False
            _idle.wait(min(left, 1.0))


def stop_worker(timeout: float = 60.0) -> None:
    """Stop the worker: queued jobs are dropped, the running one stops after its current item (its query is
    interrupted). At exit, so no thread is left inside DuckDB; tests, so no work leaks into the next test.
    A later `start` runs again."""
    _stopping.set()
    try:
        with _lock:
            thread = _thread
            for job in _jobs.values():
                if job.state == "waiting":
                    job.state = "stopped"
                elif job.state == "running":
                    try:
                        job.cursor.interrupt()
                    except Exception:  # closed meanwhile
                        pass
        if thread is not None:
            thread.join(timeout)
    finally:
        _stopping.clear()


atexit.register(stop_worker, 10.0)  # at exit: wait at most 10 s for a fit that cannot be interrupted
