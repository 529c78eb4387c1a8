"""Text from a user or a file (ids, product names, categories, file and column names, shop names, a file's rows
quoted in an error) for an element that reads Markdown: st.markdown/caption/info/warning/error/success, titles,
metric labels and values, widget labels, radio options and help tooltips.

Streamlit reads such text as GitHub-flavoured Markdown plus its own extras: `$x$` is LaTeX, `:red[...]` a colour,
`:material/home:` an icon. A product called `![x](http://host/x.png)` would make every viewer's browser fetch that
URL; a file called `_sales_.csv` would lose its underscores to italics; `~a~` is struck through. `md_escape`
backslash-escapes exactly the characters that start those constructs, so the rendered text reads as typed
(checked in Chromium on Streamlit 1.67). Plain Python, no Streamlit: `recs` functions whose text pages render may
use it too.
"""

from __future__ import annotations

import re

# Inline constructs: escapes, code, emphasis (*), strikethrough (~), links, images and directives ([ ]), HTML and
# autolinks (< >), LaTeX ($), entities (&), headings (#), table cells (|).
_INLINE = re.compile(r"([\\`*~\[\]<>$&#|])")
# An underscore opens or closes emphasis only at a word's edge (CommonMark): `customer_id` stays as it is,
# `_sales_.csv` is escaped.
_EDGE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# Streamlit's directives and icons (`:red[...]`, `:smile:`, `:material/home:`) and URL autolinks (`http://`) start
# with a colon before a letter, a slash or a sign (`:+1:`); an icon's slash and a shortcode's closing colon too.
_COLON = re.compile(r":(?=[A-Za-z/+\-])")
_SHORTCODE_END = re.compile(r"(\\:[\w+\-]+):")  # the closing colon of `:smile:` (its opening one is escaped)
_ICON_SLASH = re.compile(r"(\\:[A-Za-z]+)/")
# Block constructs that only count at the start of a line: list items (- +), setext underlines (=), ordered lists
# ("1." or "1)").
_LINE_START = re.compile(r"(?m)^([ \t]*)([-+=]|\d+(?=[.)]))")


def md_escape(text: object) -> str:
    """`text` (anything: str() is taken) with every character Markdown or Streamlit would read as formatting
    backslash-escaped, so it renders literally (underscores inside a word cannot start emphasis and are left
    alone: `product_id` stays `product_id`). Not for inside a code span (`...`), where backslashes show."""
    escaped = _EDGE_UNDERSCORE.sub(r"\\_", _INLINE.sub(r"\\\1", str(text)))
    escaped = _SHORTCODE_END.sub(r"\1\\:", _ICON_SLASH.sub(r"\1\\/", _COLON.sub(r"\\:", escaped)))
    return _LINE_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit()
                                                   else "\\" + m.group(2)), escaped)
