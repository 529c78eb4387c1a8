"""The service's helper process: folds and prepared lists are computed outside the process that answers requests.

Python runs one thread at a time per process. A hybrid fold (about 50 ms on the demo shop) or preparing a new
model's top-20 lists (seconds) inside the service held every request back behind it (the p99 of bench_api rose
from 1.6 ms to 17-46 ms with folds, and past 100 ms during a hot swap). In a child process at a lower CPU
priority they cost the requests nothing but a share of the CPU the kernel gives them first.

The child loads the stored models itself, by name and version (the run id), so nothing large crosses the pipe:
a fold job is a customer and their new purchases, its answer a list of 20 items; prepared lists come back in
chunks of a few hundred customers, so the service never spends more than a few milliseconds at once reading them.
The child ends when the service closes the pipe (or dies); a child that dies is started again at the next job.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from recs.service.lists import COLD, prepared_lists

log = logging.getLogger("recs.service")

NICE = 10  # the child's CPU priority below the service's: requests first, folds and lists with what is left
CHUNK = 200  # customers per message of prepared lists (reading one takes the service about a millisecond)


# ---- the child ---------------------------------------------------------------------------------------------
class _Models:
    """The child's loaded models by (name, version): the served one and, during a swap, the new one."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._runs: dict[tuple[str, str], Any] = {}

    def get(self, name: str, version: str) -> Any | None:
        from recs.errors import RepeatError
        from recs.models.store import load_model, load_run
        from recs.service.serving import run_version

        key = (name, version)
        if key not in self._runs:
            try:
                run = load_model(self.db_path, name)
                if run_version(run) != version:  # the store has a newer run than the service serves (or older)
                    run = load_run(self.db_path, version)
            except RepeatError:  # deleted or damaged since: the service answers without folds or lists
                return None
            if run_version(run) != version:
                return None
            self._runs = {k: v for k, v in self._runs.items() if k[0] != name}  # one version per name is kept
            self._runs[key] = run
        return self._runs[key].model


def _fold(models: _Models, job: dict[str, Any]) -> list[dict[str, Any]] | None:
    from recs.service.lists import items_of
    from recs.service.online import folded_list

    model = models.get(job["name"], job["version"])
    if model is None:
        return None
    frame = folded_list(model, job["customer_id"], job["rules"], job["purchases"])
    return None if frame is None else items_of(frame)


def _receive(conn: Any, jobs: Any) -> None:
    """The child's reader thread: drain the pipe at once (so the service never blocks sending), lists first."""
    order = itertools.count()
    while True:
        try:
            kind, job_id, job = conn.recv()
        except (EOFError, OSError):
            jobs.put((-1, next(order), None))
            return
        jobs.put((0 if kind == "lists" else 1, next(order), (kind, job_id, job)))


def child_main(conn: Any, db_path: str) -> None:
    """The child's loop: one job at a time (a new model's lists before folds) until the pipe closes."""
    import queue

    try:
        os.nice(NICE)
    except OSError:
        pass
    # every module a job needs, imported before the reader thread unpickles one (two threads importing the same
    # modules at once can deadlock on Python's import locks)
    import recs.models.store  # noqa: F401
    import recs.service.online  # noqa: F401
    import recs.service.serving  # noqa: F401

    models = _Models(Path(db_path))
    jobs: queue.PriorityQueue = queue.PriorityQueue()
    threading.Thread(target=_receive, args=(conn, jobs), daemon=True).start()
    while True:
        _, _, item = jobs.get()
        if item is None:
            return
        kind, job_id, job = item
        try:
            if kind == "fold":
                conn.send(("fold", job_id, _fold(models, job)))
            elif kind == "lists":
                model = models.get(job["name"], job["version"])
                customers = [] if model is None else [*map(str, model.data_.customer_ids), COLD]
                for start in range(0, len(customers), CHUNK):
                    conn.send(("chunk", job_id, prepared_lists(model, job["rules"], customers[start:start + CHUNK])))
                conn.send(("done", job_id, model is not None))
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - the service falls back to lists computed live
            log.exception("helper process job %s", kind)
            conn.send(("failed", job_id, type(exc).__name__))


# ---- the service's side ----------------------------------------------------------------------------------
class HelperProcess:
    """The service's handle on its child (thread-safe): send jobs, get answers through callbacks."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = str(db_path)
        self._lock = threading.Lock()
        self._conn: Any = None
        self._proc: Any = None
        self._callbacks: dict[int, Callable[[str, Any], None]] = {}
        self._ids = itertools.count()
        self._closed = False

    def _ensure(self) -> Any:
        if self._closed:
            raise BrokenPipeError("helper process stopped")
        if self._proc is None or not self._proc.is_alive():
            stale, self._callbacks = self._callbacks, {}  # the jobs of a child that died before its reader saw it
            for callback in stale.values():
                callback("failed", "helper process ended")
            ctx = multiprocessing.get_context("spawn")  # never fork a process that runs threads
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=child_main, args=(theirs, self.db_path), name="repeat-helper", daemon=True)
            proc.start()
            theirs.close()
            self._conn, self._proc = ours, proc
            threading.Thread(target=self._read, args=(ours,), name="helper-reader", daemon=True).start()
        return self._conn

    def send(self, kind: str, job: dict[str, Any], callback: Callable[[str, Any], None]) -> None:
        """Send one job; `callback(kind, payload)` runs in the reader thread for every answer ("fold", "chunk",
        "done", "failed"; "failed" too when the child dies first)."""
        with self._lock:
            conn = self._ensure()
            job_id = next(self._ids)
            self._callbacks[job_id] = callback
            try:
                conn.send((kind, job_id, job))
            except (OSError, BrokenPipeError):
                self._callbacks.pop(job_id, None)
                raise

    def _read(self, conn: Any) -> None:
        while True:
            try:
                kind, job_id, payload = conn.recv()
            except (EOFError, OSError):
                break
            callback = self._callbacks.get(job_id)
            if kind in ("fold", "done", "failed"):
                self._callbacks.pop(job_id, None)
            if callback is not None:
                try:
                    callback(kind, payload)
                except Exception:  # noqa: BLE001 - the reader must go on for the other jobs
                    log.exception("helper process answer")
        with self._lock:  # the child died or was stopped: every job still open fails (their lists answer live)
            if self._conn is not conn:
                return
            open_jobs, self._callbacks = self._callbacks, {}
            self._conn = self._proc = None
        for callback in open_jobs.values():
            callback("failed", "helper process ended")

    def lists(self, name: str, version: str, rules: Any) -> dict[str, tuple] | None:
        """The prepared lists of model `name` at `version` (blocks until the child has sent them all); None when
        the child cannot load that version or fails on the way."""
        import queue

        answers: queue.Queue = queue.Queue()
        self.send("lists", {"name": name, "version": version, "rules": rules},
                  lambda kind, payload: answers.put((kind, payload)))
        found: dict[str, tuple] = {}
        while True:
            kind, payload = answers.get()
            if kind == "chunk":
                found.update(payload)
                continue
            if kind == "failed":
                log.warning("prepared lists of %s not made: %s", name, payload)
            return found if kind == "done" and payload else None

    def stop(self) -> None:
        with self._lock:
            self._closed = True
            conn, proc = self._conn, self._proc
        if conn is not None:
            conn.close()
        if proc is not None:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
