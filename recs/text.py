"""Text from a user or a file (ids, product names, categories, file and column names, shop names, a file's rows
quoted in an error) for an element that reads Markdown: st.markdown/caption/info/warning/error/success, titles,
metric labels and values, widget labels, radio options and help tooltips.

Streamlit reads such text as GitHub-flavoured Markdown plus its own extras: `$...$` is LaTeX and `:red[...]` a
colour directive. A product called `![x](http://host/x.png)` would make every viewer's browser fetch that URL; a
file called `_sales_.csv` would lose its underscores to italics; two dollar amounts in one sentence ('$5 ... $6')
would turn into a formula. `md_escape` backslash-escapes exactly the characters that start those constructs, so
the rendered text reads as typed. Plain Python, no Streamlit: `recs` functions whose text pages render use it too.
"""

from __future__ import annotations

import re

# Inline constructs: escapes, code, emphasis (*), strikethrough (~), links, images and directives ([ ]), HTML and
# autolinks (< >), LaTeX ($), entities (&), headings (#), table cells (|).
_INLINE = re.compile(r"([\\`*~\[\]<>$&#|])")
# An underscore opens or closes emphasis only at a word's edge (CommonMark): `customer_id` stays as it is,
# `_sales_.csv` is escaped.
_EDGE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# Block constructs that only count at the start of a line: list items (- +), setext underlines (=), ordered lists
# ("1." or "1)").
_LINE_START = re.compile(r"(?m)^([ \t]*)([-+=]|\d+(?=[.)]))")


def md_escape(text: object) -> str:
    """`text` (anything: str() is taken) with every character Markdown or Streamlit would read as formatting
    backslash-escaped, so it renders literally (underscores inside a word cannot start emphasis and are left
    alone: `product_id` stays `product_id`). Not for inside a code span (`...`), where backslashes show."""
    escaped = _EDGE_UNDERSCORE.sub(r"\\_", _INLINE.sub(r"\\\1", str(text)))
    return _LINE_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit()
                                                   else "\\" + m.group(2)), escaped)
