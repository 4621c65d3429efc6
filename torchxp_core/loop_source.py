"""The loop's source as one run executes it: loop.py with every pitfall branch resolved.

The Training Lab's code panel, Step's stage lines and the exported script all use this text,
so what the page shows and what the script runs is the code the run ran. Two forms of switch
are resolved (both written in loop.py):

  if mistake("a"): ... elif mistake("b"): ... else: ...   the branch of the first pitfall
                                                          on, else the else (or nothing)
  with nullcontext() if mistake("a") else CTX:            ``with CTX:``, or with the pitfall
                                                          on no ``with`` at all
and a comment line ``# PITFALL <name>: ...`` outside a branch shows only while <name> is on.
Every line a pitfall on puts in the text is marked with its name, for the page to highlight.
"""

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache

from torchxp_core import loop
from torchxp_core.config import RunConfig
from torchxp_core.setup_source import setup_code

_PITFALL_COMMENT = re.compile(r"^\s*# PITFALL (\w+)")


@dataclass(frozen=True)
class Listing:
    """Lines of Python source and, by 1-based line number, the pitfall that put each there."""

    lines: tuple[str, ...]
    marks: dict[int, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def __add__(self, other: "Listing") -> "Listing":
        shift = len(self.lines)
        marks = {**self.marks, **{n + shift: name for n, name in other.marks.items()}}
        return Listing(self.lines + other.lines, marks)


def plain(text: str) -> Listing:
    """Source with no switches (generated lines), as a Listing; '# PITFALL x' lines marked."""
    lines = tuple(text.splitlines())
    marks = {
        n: m.group(1)
        for n, line in enumerate(lines, 1)
        if (m := re.search(r"# PITFALL (\w+)", line))
    }
    return Listing(lines, marks)


def _switch_name(test: ast.expr) -> str | None:
    """'a' for the call ``mistake("a")``, else None."""
    if (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Name)
        and test.func.id == "mistake"
        and len(test.args) == 1
        and isinstance(test.args[0], ast.Constant)
        and isinstance(test.args[0].value, str)
    ):
        return test.args[0].value
    return None


def _first_switch(tree: ast.AST) -> ast.If | ast.With | None:
    switches = [
        node
        for node in ast.walk(tree)
        if (isinstance(node, ast.If) and _switch_name(node.test))
        or (
            isinstance(node, ast.With)
            and isinstance(node.items[0].context_expr, ast.IfExp)
            and _switch_name(node.items[0].context_expr.test)
        )
    ]
    return min(switches, key=lambda n: n.lineno, default=None)


def _dedent(lines: list[str], by: int) -> list[str]:
    return [line[by:] if line.strip() else line for line in lines]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _resolve_if(node: ast.If, lines: list[str], pitfalls) -> tuple[int, int, int, list, str]:
    """(first line, last line, the chosen branch's first line, its lines dedented, the pitfall
    that chose it or '')."""
    header_indent = _indent(lines[node.lineno - 1])
    chain, branch = [], node
    while True:  # walk if / elif / elif ... collecting (name, first line, last line)
        name = _switch_name(branch.test)
        if name is None:
            raise ValueError(f"line {branch.lineno}: only mistake(...) tests form a switch")
        body_end = branch.body[-1].end_lineno
        chain.append((name, branch.lineno + 1, body_end))
        rest = branch.orelse
        if (
            len(rest) == 1
            and isinstance(rest[0], ast.If)
            and lines[rest[0].lineno - 1].lstrip().startswith("elif ")
        ):
            branch = rest[0]
            continue
        if rest:  # the else: line lies between the body's end and the else body
            else_line = next(
                n
                for n in range(body_end + 1, rest[0].lineno + 1)
                if lines[n - 1].strip().startswith("else:")
            )
            chain.append(("", else_line + 1, rest[-1].end_lineno))
        break
    last = chain[-1][2]
    for name, first, end in chain:
        if name == "" or name in pitfalls:
            body = lines[first - 1 : end]
            return node.lineno, last, first, _dedent(body, _indent(body[0]) - header_indent), name
    return node.lineno, last, 0, [], ""


def _resolve_with(node: ast.With, lines: list[str], pitfalls) -> tuple[int, int, int, list, str]:
    choice = node.items[0].context_expr
    name = _switch_name(choice.test)
    chosen = choice.body if name in pitfalls else choice.orelse
    header = lines[node.lineno - 1]
    body = lines[node.body[0].lineno - 1 : node.end_lineno]
    if isinstance(chosen, ast.Call) and getattr(chosen.func, "id", "") == "nullcontext":
        shift = _indent(body[0]) - _indent(header)
        return node.lineno, node.end_lineno, node.body[0].lineno, _dedent(body, shift), ""
    text = ast.unparse(chosen)
    start, end = choice.col_offset, choice.end_col_offset
    chosen_header = header[:start] + text + header[end:]
    return node.lineno, node.end_lineno, node.lineno, [chosen_header, *body], ""


def render(source: str, pitfalls) -> Listing:
    """``source`` (loop.py functions) with every switch resolved for ``pitfalls``."""
    lines = textwrap.dedent(source).splitlines()
    marks: list[str] = [""] * len(lines)
    while (node := _first_switch(ast.parse("\n".join(lines)))) is not None:
        resolve = _resolve_if if isinstance(node, ast.If) else _resolve_with
        first, last, origin, chosen, name = resolve(node, lines, pitfalls)
        # The chosen lines carry the pitfall that chose them, else the marks they had.
        carried = marks[origin - 1 : origin - 1 + len(chosen)] if origin else []
        lines[first - 1 : last] = chosen
        marks[first - 1 : last] = [name] * len(chosen) if name else carried
    kept, kept_marks = [], {}
    for line, mark in zip(lines, marks, strict=True):
        comment = _PITFALL_COMMENT.match(line)
        if comment and not mark:
            if comment.group(1) not in pitfalls:
                continue  # a note about a mistake this run does not make
            mark = comment.group(1)
        if line.lstrip().startswith("def "):
            line = line.replace(", mistake)", ")")  # resolved: nothing left to ask
        kept.append(line)
        if mark:
            kept_marks[len(kept)] = mark
    return Listing(tuple(kept), kept_marks)


@lru_cache(maxsize=64)
def function(name: str, pitfalls: frozenset[str]) -> Listing:
    """One function or class of loop.py as a run with ``pitfalls`` executes it."""
    return render(inspect.getsource(getattr(loop, name)), pitfalls)


@lru_cache(maxsize=16)  # asked on every chart tick of a paused run (Step's line numbers)
def for_run(cfg: RunConfig) -> Listing:
    """What the code panel shows of a run: its tensors, model, loss, optimizer and loop,
    numbered as one text (Step's stages name these line numbers)."""
    pitfalls = frozenset(cfg.train.pitfalls)
    blank = Listing(("",))
    settings = f"SEED, DEVICE = {cfg.train.seed!r}, {cfg.train.device!r}  # the run's settings"
    return (
        function("to_tensors", pitfalls)
        + blank
        + plain(settings + "\n" + setup_code(cfg))
        + blank
        + function("train_epoch", pitfalls)
        + blank
        + function("evaluate", pitfalls)
    )
