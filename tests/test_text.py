"""`recs.text.md_escape`: text from users and files renders literally in Markdown elements. Checked on the
escaped source, as Streamlit's Markdown reads it: every character that starts a construct is backslash-escaped,
removing the escapes gives the text back, and identifiers keep their underscores."""

from __future__ import annotations

import re

import pytest

from recs.text import md_escape

NASTY = [
    "**bold** <b>x</b> [a](b)",
    "_spring*sale_.csv",
    "![x](http://host/x.png)",
    "$5 and $6",
    ":red[alert] ~~gone~~ `code`",
    "R&amp;D #1 | a",
    "- a list\n+ another\n1. first\n  2) second\n===",
    "back\\slash *and* __init__",
    ":material/home: :smile: :+1: see http://host/x",
]


def _unescape(text: str) -> str:
    """What CommonMark shows for a backslash before ASCII punctuation: the punctuation alone."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def _live(text: str) -> list[str]:
    """Markdown openers still unescaped in `text` (a character not preceded by an odd run of backslashes)."""
    found = []
    for m in re.finditer(r"[*`~\[\]<>$&#|]|(?<![^\W_])_|_(?![^\W_])|:(?=[A-Za-z/+-])|(?<=:material)/|(?<=:smile):|(?<=:\+1):", text):
        run = len(text[:m.start()]) - len(text[:m.start()].rstrip("\\"))
        if run % 2 == 0:
            found.append(m.group())
    found += re.findall(r"(?m)^[ \t]*(?:[-+=]|\d+[.)])", text)
    return found


@pytest.mark.parametrize("text", NASTY)
def test_every_markdown_opener_is_escaped_and_the_text_comes_back(text):
    escaped = md_escape(text)
    assert _live(escaped) == [], escaped
    assert _unescape(escaped) == text


def test_the_examples_read_as_typed():
    assert md_escape("**bold** <b>x</b> [a](b)") == r"\*\*bold\*\* \<b\>x\</b\> \[a\](b)"
    assert md_escape("_spring*sale_.csv") == r"\_spring\*sale\_.csv"
    assert md_escape("$x$ and ~a~") == r"\$x\$ and \~a\~"  # neither a formula nor struck through
    assert md_escape(":red[x] :material/home:") == r"\:red\[x\] \:material\/home:"  # no colour, no icon


def test_words_numbers_and_identifiers_are_left_alone():
    for text in ("customer_id", "min_price 50.0 is above max_price 10.0", "Sourdough loaf (800 g)",
                 "2024-03-01 10:00", "C00042", "Crème brûlée, 12 %", "1,234.56 CHF"):
        assert md_escape(text) == text
    assert md_escape(None) == "None" and md_escape(12) == "12"  # anything: str() is taken
