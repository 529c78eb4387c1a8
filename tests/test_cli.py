"""The command line: every subcommand is listed by --help and has its own --help; usage errors exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from recs.cli import build_parser
from tests.conftest import REPO

EXPECTED = {"import", "demo", "metrics", "models", "evaluate", "recommend", "abtest", "serve"}


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recs", *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_help_lists_every_subcommand():
    result = _run("--help")
    assert result.returncode == 0
    names = set(_subcommands())
    assert EXPECTED <= names, f"missing subcommands: {EXPECTED - names}"
    for name in names:
        assert name in result.stdout


@pytest.mark.parametrize("name", _subcommands())
def test_each_subcommand_has_help(name):
    result = _run(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout and name in result.stdout


def test_unknown_subcommand_exits_2_without_traceback():
    result = _run("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
