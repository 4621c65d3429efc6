"""DOT text for a ``graph.Graph``: rendering only, no torch.

Node ids are generated ("t0", "op3"); every piece of text a user or a model could influence
(names, labels) goes through ``quote``, so a name with quotes, backslashes, newlines or braces
stays inside its string. ``st.graphviz_chart`` renders the DOT in the browser.
"""

from torchxp_core.graph import Graph, OpNode, TensorNode

# Colours: leaves that get .grad in blue, results in yellow, constants greyed, ops in grey.
STYLE = {
    "leaf": 'shape=box, style="rounded,filled,bold", fillcolor="#cfe8fc", color="#0877bd"',
    "result": 'shape=box, style="rounded,filled", fillcolor="#fff3c4", color="#b58900"',
    "constant": (
        'shape=box, style="rounded,filled,dashed", fillcolor="#f2f2f2", color="#9e9e9e", '
        'fontcolor="#757575"'
    ),
    "op": 'shape=box, style="filled", fillcolor="#e6e6e6", color="#616161"',
    "accumulate": 'shape=box, style="filled", fillcolor="#d7ecd9", color="#2e7d32"',
}


def quote(text: str) -> str:
    """A DOT double-quoted string holding ``text`` literally (one line per \\n)."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{escaped}"'


def _label(lines: list[str]) -> str:
    # Each line is escaped on its own, then joined with DOT's own line break.
    return '"' + "\\n".join(quote(line)[1:-1] for line in lines) + '"'


def tensor_lines(node: TensorNode) -> list[str]:
    shape = "scalar" if not node.shape else "×".join(map(str, node.shape))
    lines = [node.name, f"{shape} {node.dtype}"]
    # One attribute per line: narrow nodes keep the text large once the graph fits the page.
    lines += [f"requires_grad={node.requires_grad}", f"is_leaf={node.is_leaf}"]
    if node.grad_fn:
        lines.append(f"grad_fn={node.grad_fn}")
    if node.retains_grad:
        lines.append("retains_grad=True")
    return lines


def op_lines(node: OpNode) -> list[str]:
    return [node.name]


def to_dot(graph: Graph, title: str = "", rankdir: str = "TB") -> str:
    """The whole graph as DOT text; inputs on top when ``rankdir`` is TB."""
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"rankdir must be TB or LR, not {rankdir!r}.")
    out = [
        "digraph autograd {",
        f"  rankdir={rankdir};",
        '  graph [fontname="Helvetica", fontsize=18, nodesep=0.25, ranksep=0.3];',
        '  node [fontname="Helvetica", fontsize=16, margin="0.08,0.04"];',
        '  edge [color="#616161", arrowsize=0.8];',
    ]
    if title:
        out.append(f"  label={quote(title)}; labelloc=t;")
    for t in graph.tensors:
        out.append(f"  {t.id} [label={_label(tensor_lines(t))}, {STYLE[t.kind]}];")
    for op in graph.ops:
        style = STYLE["accumulate"] if op.leaf is not None else STYLE["op"]
        out.append(f"  {op.id} [label={_label(op_lines(op))}, {style}];")
    for e in graph.edges:
        extra = ' [style=dashed, color="#9e9e9e", label="saved", fontsize=11]' if e.saved else ""
        out.append(f"  {e.src} -> {e.dst}{extra};")
    out.append("}")
    return "\n".join(out) + "\n"
