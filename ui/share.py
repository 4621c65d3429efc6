"""Share links: the Training Lab's settings live in the URL, so a link opens the same lab.

Streamlit reads no query parameter at all from a link of more than 1,000 parameters or
512 Ki characters (``sanitize_query_string``: it logs a line on the server and the page
sees an empty query), which would reset every setting without a word. So on a tab's first
run a small script checks the address in the browser: a link over those limits is cut down
to the settings torchxp knows, marked with ``LONG``, and reloaded, and the lab says so.
"""

import json
import re

import streamlit as st
from streamlit.runtime.state import query_params as st_query

from torchxp_core import share
from torchxp_core.config import RunConfig
from ui import settings, text

KEEP = ("present",)  # app-wide parameters that the settings must not wipe
LINK = "This link had settings torchxp could not use as given:"
# The limits Streamlit applies to a link, read from Streamlit itself so they cannot drift.
MAX_FIELDS = getattr(st_query, "CLIENT_STATE_QUERY_STRING_MAX_FIELDS", 1000)
MAX_CHARS = getattr(st_query, "CLIENT_STATE_QUERY_STRING_MAX_LENGTH", 512 * 1024)
LONG = "link.cut"  # "<parameters>,<characters>" of the link the browser cut down
SHOWN = 8  # problems listed one by one; the rest are counted
_TRIM = """<script>
(() => {
  const search = window.location.search.slice(1);
  const fields = search ? search.split("&").length : 0;  // as Streamlit counts them
  if (fields <= %(fields)d && search.length <= %(chars)d) return;
  const known = new Set(%(keys)s), kept = new URLSearchParams();
  for (const [key, value] of new URLSearchParams(search)) {
    if (known.has(key) && !kept.has(key)) kept.set(key, value.slice(0, 200));
  }
  kept.set(%(long)s, fields + "," + search.length);
  window.location.replace(window.location.pathname + "?" + kept.toString());
})();
</script>"""


def _cut_short(query: dict[str, str]) -> str:
    """The sentence for a link the browser cut down ('' for any other link)."""
    mark = query.pop(LONG, None)
    if mark is None:
        return ""
    found = re.fullmatch(r"(\d{1,9}),(\d{1,12})", mark)
    size = f" ({int(found[1]):,} parameters, {int(found[2]):,} characters)" if found else ""
    return (
        f"This link was too long{size}: Streamlit reads no setting at all from a link of more "
        f"than {MAX_FIELDS:,} parameters or {MAX_CHARS:,} characters, so torchxp kept only "
        f"the settings it knows, from their first mention; every other setting is the default."
    )


def _load(query: dict[str, str], intro: str, note: str = "") -> None:
    """Put the query's valid settings into this tab; keep a warning of what was dropped."""
    values, problems = share.from_query(query)
    for key, value in values.items():
        settings.put(key, value)
    if problems or note:
        st.session_state["share.problems"] = (note, intro, problems)


def load_from_url() -> None:
    """Once per tab: take valid settings from the URL; say in one warning what was dropped."""
    if st.session_state.get("share.loaded"):
        return
    st.session_state["share.loaded"] = True
    query = {k: v for k, v in st.query_params.to_dict().items() if k not in KEEP}
    note = _cut_short(query)
    if not query and not note:  # maybe Streamlit dropped a long link: the browser checks
        script = _TRIM % {
            "fields": MAX_FIELDS,
            "chars": MAX_CHARS,
            "long": json.dumps(LONG),
            "keys": json.dumps([*share.KEYS, *KEEP]),
        }
        st.html(script, unsafe_allow_javascript=True)  # our own code, no user text in it
    _load(query, LINK, note)


def load_stored(stored: dict, name: str) -> None:
    """A stored run's settings into this tab, checked as a link's are (the store is a file
    anyone could have edited); the lab then says what was dropped."""
    for key in share.KEYS:
        settings.put(key, settings.default(key))  # a setting the run cannot give is the default
    _load(share.query_of(stored), f"The run {name} had settings torchxp could not use as given:")


def show_problems() -> None:
    note, intro, problems = st.session_state.pop("share.problems", ("", "", []))
    # The sentences quote keys and values from outside: shown as typed, never as Markdown.
    items = [text.plain(p) for p in problems[:SHOWN]]
    if len(problems) > SHOWN:
        items.append(f"and {len(problems) - SHOWN:,} more.")
    parts = [note] if note else []  # our own words and numbers only
    if items:
        parts.append(text.plain(intro) + "\n\n- " + "\n- ".join(items))
    if parts:
        st.warning("\n\n".join(parts))


def write_to_url(config: RunConfig | None) -> None:
    """Mirror the current settings into the address bar (only what differs from defaults)."""
    if config is None:
        return  # keep the last good link while the sidebar shows an error
    query = share.to_query(config)
    query.update({k: st.query_params[k] for k in KEEP if k in st.query_params})
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)
