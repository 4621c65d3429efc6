"""The loop of the run on screen, as it runs: its pitfall lines highlighted, Step's stages tagged.

The text is loop_source's (the same the exported script runs). st.code cannot highlight a
line, so the listing is drawn as an escaped <pre>: every character of it goes through
html.escape, user text included (a run's settings reach it through repr()).
"""

import html

import streamlit as st

from torchxp_core import loop_source, step_trace
from torchxp_core.config import PITFALLS, RunConfig
from torchxp_core.loop_source import Listing

_PRE = (
    "font-family: 'Source Code Pro', monospace; font-size: 15px; line-height: 1.45; "
    "background: #f6f7f9; color: #1f2329; padding: 0.6em 0; border-radius: 6px; "
    "overflow-x: auto; margin: 0;"
)
_MISTAKE = "background: #ffe08a; box-shadow: inset 5px 0 #d9480f;"  # seen from the back row
_GUTTER = "display: inline-block; width: 3.2em; color: #8a919c; text-align: right;"
# Step's stage names sit in a column of their own left of the line numbers: floated over
# the code, they covered the ends of long lines.
# Top-aligned at the code's line height: an inline-block with overflow hidden sits on its
# bottom edge, which made every tagged row a few pixels taller than the others.
_TAG = (
    "display: inline-block; width: 6.5em; color: #1c7ed6; text-align: right; "
    "font-size: 0.85em; line-height: 1.706; vertical-align: top; white-space: nowrap; "
    "overflow: hidden;"
)


def pitfall_lines(listing: Listing) -> list[tuple[int, str, str]]:
    """(line number, pitfall, line) of every line a pitfall on put in the listing."""
    return [(n, name, listing.lines[n - 1].strip()) for n, name in sorted(listing.marks.items())]


def listing_html(listing: Listing, tags: dict[int, str] | None = None) -> str:
    """The listing as an escaped <pre>, numbered, mistake lines highlighted, ``tags`` (line
    number -> short text) in a column left of the line numbers."""
    tags = tags or {}
    rows = []
    for number, line in enumerate(listing.lines, 1):
        style = "display: block; padding-left: 0.4em;"
        if number in listing.marks:
            style += _MISTAKE
        tag = f'<span style="{_TAG}">{html.escape(tags.get(number, ""))}</span>' if tags else ""
        rows.append(
            f'<span style="{style}" data-line="{number}">{tag}'
            f'<span style="{_GUTTER}">{number}</span>  {html.escape(line)}</span>'
        )
    return f'<pre style="{_PRE}"><code>{"".join(rows)}</code></pre>'


def show(config: RunConfig | None) -> None:
    """The loop of ``config``'s run (the run on screen, else the settings Train would use)."""
    if config is None:
        return
    listing = loop_source.for_run(config)
    stages = {n: stage for stage, (n, _) in step_trace.stage_lines(listing).items()}
    with st.expander("The loop this run executes (torchxp_core/loop.py, its pitfalls resolved)"):
        marked = pitfall_lines(listing)
        for pitfall in dict.fromkeys(name for _, name, _ in marked):
            numbers = [str(n) for n, name, _ in marked if name == pitfall]
            where = f"line{'s' if len(numbers) > 1 else ''} {', '.join(numbers)}"
            st.warning(f"Highlighted, {where}: the mistake **{PITFALLS[pitfall]}**.")
        st.html(listing_html(listing, stages))
        st.caption(
            "The same text as in “Export as script”. In blue, left: the line each stage of "
            "Step belongs to. Batches, pause/stop, Dropout's seeded stream and the progress "
            "reports sit around this code, out of sight."
        )
