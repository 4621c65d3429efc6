"""Text from users (links, run names, tags, layer names) shown as text, never as Markdown.

Streamlit renders the body of ``st.markdown``, ``st.warning``, ``st.error``, ``st.caption`` and
widget labels as GitHub-flavoured Markdown, where ``[a](http://x)`` is a link and
``![a](http://x)`` makes the browser fetch an image. CommonMark lets a backslash escape any
ASCII punctuation, so escaping the marks Markdown reads shows the text exactly as typed.
Escapes are not enough for bare links (``www.x.org``, ``http://x``, ``a@x.org``) and
shortcodes (``:smile:``): Streamlit's Markdown finds those in the text after parsing, so a
word joiner (U+2060, invisible) after ``:`` and ``@`` and inside ``www.`` breaks them.
"""

import re
import string

JOINER = "\u2060"  # zero width, no line break: invisible, but no pattern matches across it
# Every ASCII punctuation mark but a few that Markdown never reads (quotes, commas, slashes),
# so the escaped text stays readable in the page's source and in tests.
_SPECIAL = "".join(c for c in string.punctuation if c not in "'\",;?/%")
_PUNCTUATION = re.compile("([" + re.escape(_SPECIAL) + "])")
_BREAKS = re.compile(r"[\r\n\t\f\v\u2028\u2029]+")  # a blank line would start a new block
_FOUND_AFTER_PARSING = re.compile(r"(?<=[:@])|(?i:(?<=www)(?=\.))")


def plain(text: object) -> str:
    """``text`` escaped so that Streamlit's Markdown shows it literally, on one line."""
    one_line = _BREAKS.sub(" ", str(text))
    return _PUNCTUATION.sub(r"\\\1", _FOUND_AFTER_PARSING.sub(JOINER, one_line))
