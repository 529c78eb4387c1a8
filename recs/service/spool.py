"""The service's durable spool: every accepted order and experiment assignment, one JSON line each.

A write is acknowledged only after the line is written, flushed and fsync'd (`Spool.append`), so an order the
service answered 2xx survives a crash or a kill -9. The service appends to its own file (one per process start,
`spool-<time>-<pid>.jsonl`), never rewrites one, and a line cut short by a crash has no newline: it was never
acknowledged and every reader ignores it. `python -m recs import --spool DIR` moves the lines into the warehouse
and writes `<file>.done` (how far the file was imported, and the import id), so a line is imported once. The
service holds a lock on its current file; compaction (recs/service/spool_compact.py) only removes files no service
holds whose every line is in the warehouse, and keeps their done marks.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROTATE_BYTES = 64 * 1024 * 1024
DONE_SUFFIX = ".done"


def default_spool_dir(db_path: str | Path) -> Path:
    """The spool folder the service and the import use when none is given: beside the database."""
    return Path(str(db_path) + ".spool")


@dataclass(frozen=True)
class Record:
    """One spooled line: its kind ('order' or 'assignment'), its data, where it sits (file, end offset)."""

    kind: str
    data: dict[str, Any]
    file: str
    end: int


@dataclass(frozen=True)
class DoneMark:
    """How far a spool file was imported (byte offset of the first line not imported) and by which import."""

    offset: int
    import_id: int


def spool_files(folder: Path) -> list[Path]:
    """The spool files of a folder, oldest first."""
    return sorted(p for p in folder.glob("spool-*.jsonl")) if folder.exists() else []


def read_records(path: Path, start: int = 0) -> Iterator[Record]:
    """The complete lines of one spool file from byte `start` (a last line without newline is skipped: a crash
    cut it before it was acknowledged; a line that is not JSON is skipped for the same reason)."""
    with open(path, "rb") as handle:
        handle.seek(start)
        offset = start
        for line in handle:
            if not line.endswith(b"\n"):
                break
            offset += len(line)
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and item.get("kind") in ("order", "assignment"):
                yield Record(str(item["kind"]), dict(item.get("data") or {}), path.name, offset)


def read_done(path: Path) -> DoneMark | None:
    """The done mark of a spool file, or None when nothing of it was imported yet."""
    try:
        info = json.loads(Path(str(path) + DONE_SUFFIX).read_text(encoding="utf-8"))
        return DoneMark(int(info["offset"]), int(info["import_id"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_done(path: Path, mark: DoneMark) -> None:
    """Record (atomically, durably) that `path` was imported up to `mark.offset` by import `mark.import_id`."""
    target = Path(str(path) + DONE_SUFFIX)
    tmp = target.with_name(f".{target.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"offset": mark.offset, "import_id": mark.import_id,
                   "at": datetime.now(UTC).isoformat(timespec="seconds")}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    sync_dir(target.parent)


def sync_dir(folder: Path) -> None:
    """fsync a folder, so a new or renamed file in it survives a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def imported_through(folder: Path) -> dict[str, DoneMark]:
    """Done marks of every spool file in `folder`, by file name (a compacted file's mark stays: the running
    service still knows its orders as imported)."""
    out = {}
    for done in sorted(folder.glob(f"spool-*.jsonl{DONE_SUFFIX}")) if folder.exists() else []:
        path = done.with_name(done.name[: -len(DONE_SUFFIX)])
        mark = read_done(path)
        if mark is not None:
            out[path.name] = mark
    return out


def in_use(path: Path) -> bool:
    """True when a running service holds `path` as its current file (its lock is taken), so it may still grow."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError:
        return False
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        handle.close()  # closing releases a lock taken here
    return False


class Spool:
    """The append side (one per service process): durable appends, and the ids already spooled.

    Thread-safe: `append` holds a lock for write + flush + fsync, so lines never interleave.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self._handle: Any = None
        self._path: Path | None = None
        self._serial = 0

    def records(self) -> Iterator[Record]:
        """Every complete line of every spool file, oldest first (the service reads them once at start)."""
        for path in spool_files(self.folder):
            yield from read_records(path)

    def _open(self) -> None:
        """A new file, locked (flock) before it gets its spool name, so compaction never takes a file that may
        still grow; the lock goes with the handle (closed, or the process gone)."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        self._serial += 1
        self._path = self.folder / f"spool-{stamp}-{os.getpid()}-{self._serial}.jsonl"
        hidden = self._path.with_name(f".{self._path.name}.new")
        self._handle = open(hidden, "ab")  # noqa: SIM115 - kept open for the life of the service
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX)
        os.replace(hidden, self._path)
        sync_dir(self.folder)

    def append(self, kind: str, data: dict[str, Any]) -> Record:
        """Write one line durably (written, flushed, fsync'd) before returning. Call with `self.lock` held when the
        caller must check-and-append atomically (idempotency), or let this take it."""
        line = (json.dumps({"kind": kind, "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                            "data": data}, separators=(",", ":"), default=str) + "\n").encode()
        if self._handle is None or self._handle.tell() + len(line) > ROTATE_BYTES:
            self.close()
            self._open()
        self._handle.write(line)
        self._handle.flush()
        os.fsync(self._handle.fileno())
        return Record(kind, data, self._path.name, self._handle.tell())

    def close(self) -> None:
        """Close the current file (the next append opens a new one)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
