"""Progress and the closing summary of long CLI commands, on standard error (standard output keeps the CSV)."""

from __future__ import annotations

import sys
import time


class StderrProgress:
    """A recs progress callback `(fraction, message)` printing `[ 40%] message` on stderr: nothing during the
    first `after` seconds (quick work stays quiet), then a line whenever the message changes, at most one per
    `every` seconds, plus every line that finishes (fraction 1)."""

    def __init__(self, quiet: bool = False, after: float = 2.0, every: float = 1.0) -> None:
        self.quiet, self.after, self.every = quiet, after, every
        self.start = time.monotonic()
        self.last_line = 0.0
        self.last_message = ""
        self.printed = False

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if self.quiet or now - self.start < self.after or message == self.last_message:
            return
        if now - self.last_line < self.every and fraction < 1.0:
            return
        print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)
        self.last_line, self.last_message, self.printed = now, message, True


def where(out: str | None) -> str:
    """How the summary names the output: the file, or standard output."""
    return "standard output" if out in (None, "-") else str(out)


def summary(out: str | None, text: str, quiet: bool = False) -> None:
    """The one line saying what was written: `wrote FILE: text`."""
    if not quiet:
        print(f"wrote {where(out)}: {text}", file=sys.stderr, flush=True)
