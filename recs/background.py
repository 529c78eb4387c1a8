"""Background threads that give way: the app's own work started for later (stored predictions, warmed imports)
runs at a lower CPU priority than the page a person is waiting for, on a shared 2-core machine as on a server."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

NICENESS = 10  # added to the thread's nice value (Linux schedules threads as tasks); elsewhere nothing changes


def _lowered(target: Callable[..., object], args: tuple) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)  # this thread only, on Linux
    except (AttributeError, OSError):  # no such call on this platform, or not permitted: run as is
        pass
    target(*args)


def start_thread(target: Callable[..., object], name: str, args: tuple = ()) -> threading.Thread:
    """Start a daemon thread running `target(*args)` at a lower CPU priority (threads DuckDB starts for its
    queries keep theirs)."""
    thread = threading.Thread(target=_lowered, args=(target, args), name=name, daemon=True)
    thread.start()
    return thread
