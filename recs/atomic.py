"""Files written whole or not at all: a temporary file in the target's folder, then `os.replace`, so a reader
(a page, the live service, a second process) never sees half a file and a failed write leaves the old one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomic(target: Path, write: Callable[[str], object]) -> None:
    """Call `write(tmp_path)`, then put the file in place as `target` (mode 0644); on any failure remove the
    temporary file and re-raise, leaving `target` as it was."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
