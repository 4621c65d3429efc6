"""The graph walk against torch's own graph, the DOT escaping, and the tensor table."""

import re

import pytest
import torch

from torchxp_core import autograd_examples as ax
from torchxp_core import graph, graph_render
from torchxp_core.config import RunConfig
from torchxp_core.params import preview

VARIANTS = [(key, opt) for key, ex in ax.EXAMPLES.items() for opt in (ex.options or [None])]


def _switches(key: str, on: bool | None) -> dict | None:
    if on is None:
        return None  # the example's defaults
    return dict.fromkeys(ax.EXAMPLES[key].requires_grad, on)


def _reference(tensors: dict[str, torch.Tensor]) -> tuple[set[int], list, dict[str, int]]:
    """Torch's graph by recursion, written apart from graph.trace: fns, leaves, name counts."""
    fns: dict[int, object] = {}

    def visit(fn) -> None:
        if fn is None or id(fn) in fns:
            return
        fns[id(fn)] = fn
        for next_fn, _ in fn.next_functions:
            visit(next_fn)

    for t in tensors.values():
        visit(t.grad_fn)
    leaves = [fn.variable for fn in fns.values() if type(fn).__name__ == "AccumulateGrad"]
    counts: dict[str, int] = {}
    for fn in fns.values():
        counts[type(fn).__name__] = counts.get(type(fn).__name__, 0) + 1
    return set(fns), leaves, counts


@pytest.mark.parametrize("switches", [None, True, False], ids=["defaults", "all_on", "all_off"])
@pytest.mark.parametrize(("key", "option"), VARIANTS)
def test_walk_reaches_every_grad_fn_and_matches_leaves(key, option, switches) -> None:
    built = ax.build(key, requires_grad=_switches(key, switches), option=option)
    g = graph.trace(built.tensors)
    _, leaves, counts = _reference(built.tensors)

    walked: dict[str, int] = {}
    for op in g.ops:
        walked[op.name] = walked.get(op.name, 0) + 1
    assert walked == counts  # every grad_fn reached, none invented, counts exact

    # Each AccumulateGrad is linked to exactly its leaf, by an edge leaf -> AccumulateGrad.
    by_name = {name: t for t in g.tensors for name in t.name.split(" = ")}  # aliases: "h = c"
    accumulators = [op for op in g.ops if op.name == graph.ACCUMULATE_GRAD]
    linked = {next(t.name for t in g.tensors if t.id == op.leaf) for op in accumulators}
    expected = {n for n, t in built.tensors.items() if any(t is leaf for leaf in leaves)}
    assert linked == expected
    for op in accumulators:
        assert graph.Edge(op.leaf, op.id) in g.edges
    # ... and those are exactly the named leaves that require grad and feed the output.
    assert expected <= {n for n, t in built.tensors.items() if t.is_leaf and t.requires_grad}

    # Every tensor named is drawn, with torch's own attributes, grad or not.
    assert list(by_name) == list(built.tensors)
    for name, t in built.tensors.items():
        node = by_name[name]
        assert node.requires_grad == t.requires_grad
        assert node.is_leaf == t.is_leaf
        assert node.shape == tuple(t.shape)
        assert node.grad_fn == (type(t.grad_fn).__name__ if t.grad_fn else None)
        assert node.kind == (
            "constant" if not t.requires_grad else "leaf" if t.is_leaf else "result"
        )

    ids = {t.id for t in g.tensors} | {op.id for op in g.ops}
    assert all(e.src in ids and e.dst in ids for e in g.edges)


def test_linear_graph_is_exactly_what_torch_builds() -> None:
    built = ax.build("linear", requires_grad={"x": False, "w": True, "b": True})
    g = graph.trace(built.tensors)
    ops = sorted(op.name for op in g.ops)
    assert ops == ["AccumulateGrad", "AccumulateGrad", "AddBackward0", "MulBackward0"]
    ids = {t.name: t.id for t in g.tensors}
    ops = {op.name: op.id for op in g.ops if op.leaf is None}
    edges = {(e.src, e.dst) for e in g.edges}
    assert (ops["MulBackward0"], ids["u"]) in edges  # Mul made u
    assert (ids["u"], ops["AddBackward0"]) in edges  # u flows into Add
    assert (ops["AddBackward0"], ids["y"]) in edges
    # x needs no grad, so no AccumulateGrad: only a dashed "saved" edge into Mul.
    assert graph.Edge(ids["x"], ops["MulBackward0"], saved=True) in g.edges


def test_tensors_outside_the_graph_are_still_drawn_greyed() -> None:
    built = ax.build("linear", requires_grad={"x": False, "w": False, "b": False})
    g = graph.trace(built.tensors)
    assert g.ops == [] and g.edges == []
    assert [t.kind for t in g.tensors] == ["constant"] * 5
    dot = graph_render.to_dot(g)
    assert dot.count("dashed") == 5


def test_model_graph_names_parameters_and_frozen_ones_have_no_accumulate_grad() -> None:
    from dataclasses import replace

    cfg = RunConfig()
    cfg = replace(cfg, model=replace(cfg.model, frozen=("0",)))
    pv = preview(cfg)
    tensors, named = graph.model_tensors(pv.setup.model, pv.setup.criterion, pv.inputs, pv.targets)
    g = graph.trace(tensors, named)
    nodes = {t.name: t for t in g.tensors}
    assert {"0.weight", "0.bias", "2.weight", "4.bias", "loss"} <= set(nodes)
    filled = {next(t.name for t in g.tensors if t.id == op.leaf) for op in g.ops if op.leaf}
    trainable = {n for n, p in named.items() if p.requires_grad}
    assert filled == trainable and "0.weight" not in filled
    assert nodes["0.weight"].kind == "constant" and nodes["2.weight"].kind == "leaf"
    assert nodes["0.weight"].is_param


def test_walk_after_backward_still_works_without_saved_tensors() -> None:
    built = ax.build("two_layer")
    ax.backward(built)
    g = graph.trace(built.tensors)  # saved tensors are freed; the structure is not
    assert not any(e.saved for e in g.edges)
    assert len(g.ops) == sum(_reference(built.tensors)[2].values())


# --- DOT ------------------------------------------------------------------------------

TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(->|[{}\[\];,=])|([A-Za-z0-9_.#]+)|(\s+)', re.S)


def _tokens(dot: str) -> list[tuple[str, str]]:
    """A DOT tokenizer: ('str', content) / ('sym', x) / ('id', x); fails on anything else."""
    out, pos = [], 0
    while pos < len(dot):
        m = TOKEN.match(dot, pos)
        assert m, f"DOT has a stray character at {pos}: {dot[pos : pos + 40]!r}"
        pos = m.end()
        if m.group(1) is not None:
            out.append(("str", m.group(1)))
        elif m.group(2):
            out.append(("sym", m.group(2)))
        elif m.group(3):
            out.append(("id", m.group(3)))
    return out


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), s)


NASTY = 'w"] -> evil [label="x\\" }\n{ digraph \\n \\\\ end'


def test_dot_quoting_keeps_hostile_names_inside_their_string() -> None:
    quoted = graph_render.quote(NASTY)
    tokens = _tokens(quoted)
    assert tokens == [("str", tokens[0][1])]  # one string, nothing leaks
    assert _unescape(tokens[0][1]) == NASTY


def test_dot_of_a_graph_with_hostile_names_parses_and_keeps_braces_balanced() -> None:
    x = torch.tensor(1.0, requires_grad=True)
    y = x * 2
    g = graph.trace({NASTY: x, "{y}\r\n": y})
    dot = graph_render.to_dot(g, title=NASTY)
    tokens = _tokens(dot)
    symbols = [v for kind, v in tokens if kind == "sym"]
    assert symbols.count("{") == symbols.count("}") == 1  # only the digraph's own braces
    ids = [v for kind, v in tokens if kind == "id"]
    assert "evil" not in ids and ids[:2] == ["digraph", "autograd"]
    labels = [_unescape(v) for kind, v in tokens if kind == "str"]
    assert any(label.startswith(NASTY + "\n") for label in labels)  # the tensor's first line
    assert NASTY in labels  # the title


def test_dot_styles_leaves_results_and_constants_apart() -> None:
    g = graph.trace(ax.build("linear").tensors)
    lines = {
        t.name: next(
            ln for ln in graph_render.to_dot(g).splitlines() if ln.strip().startswith(t.id + " ")
        )
        for t in g.tensors
    }
    assert graph_render.STYLE["constant"] in lines["x"]
    assert graph_render.STYLE["leaf"] in lines["w"]
    assert graph_render.STYLE["result"] in lines["y"]


# --- the tensor table -----------------------------------------------------------------


@pytest.mark.parametrize(("key", "option"), VARIANTS)
def test_tensor_table_matches_the_tensors_before_and_after_backward(key, option) -> None:
    built = ax.build(key, option=option)
    for when in ("before", "after"):
        if when == "after":
            ax.backward(built)
        rows = {row["tensor"]: row for row in ax.tensor_table(built)}
        assert list(rows) == list(built.tensors)
        for name, t in built.tensors.items():
            row = rows[name]
            assert row["requires_grad"] == t.requires_grad
            assert row["is_leaf"] == t.is_leaf
            assert row["retains_grad"] == t.retains_grad
            assert row["version"] == t._version
            assert row["grad_fn"] == (type(t.grad_fn).__name__ if t.grad_fn else None)
            grad = t.grad if (t.is_leaf or t.retains_grad) else None
            assert row[".grad filled"] == (grad is not None)
            if grad is not None:
                assert row[".grad"] == ax.fmt(grad)


def test_only_leaves_that_require_grad_get_grad_and_retain_grad_keeps_one() -> None:
    for option, kept in (("retain", True), ("plain", False)):
        built = ax.build("retain", option=option)
        assert ax.backward(built) == ""
        rows = {row["tensor"]: row for row in ax.tensor_table(built)}
        assert rows["w"][".grad filled"] and rows["b"][".grad filled"]
        assert not rows["x"][".grad filled"]  # a leaf without requires_grad
        assert rows["h"][".grad filled"] is kept
        assert not rows["z"][".grad filled"]
        assert ("not a leaf" in rows["z"]["torch's warning"]) and not rows["w"]["torch's warning"]
        # d/dw (w x + b)^2 = 2 (w x + b) x = 2 * 7 * 2
        assert built.tensors["w"].grad.item() == pytest.approx(28.0)


def test_second_backward_fails_with_torchs_message_and_grads_add_up() -> None:
    first, second = ax.second_backward("linear")
    assert first == ""
    x = torch.tensor(1.0, requires_grad=True)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError) as exc:
        y.backward()
    assert second == str(exc.value)  # torch's own words, whatever this torch says
    rows = ax.accumulation("two_layer")
    assert {r["tensor"] for r in rows} == {"W1", "b1", "W2", "b2"}
    assert all(r["call 2 = 2 × call 1"] for r in rows)


def test_in_place_variants_show_torchs_real_errors() -> None:
    leaf = ax.build("in_place", option="leaf")
    w = torch.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError) as exc:
        w.add_(1.0)
    assert leaf.error == str(exc.value)
    saved = ax.build("in_place", option="saved")
    assert "modified by an inplace operation" in ax.backward(saved)
    inter = ax.build("in_place", option="intermediate")
    assert ax.backward(inter) == ""
    assert inter.tensors["a"]._version == 1 and type(inter.tensors["a"].grad_fn).__name__ == (
        "AddBackward0"
    )


def test_cut_variants_change_the_gradient() -> None:
    grads = {}
    for option in ("detach", "no_grad", "none"):
        built = ax.build("cut", {"x": 2.0, "w": 3.0, "v": 4.0}, option=option)
        ax.backward(built)
        grads[option] = built.tensors["w"].grad.item()
    assert grads == {"detach": 2.0, "no_grad": 2.0, "none": 2.0 * 4.0 + 2.0}


def test_bad_values_are_a_sentence() -> None:
    with pytest.raises(ValueError, match="finite number"):
        ax.build("linear", {"x": float("nan")})
    with pytest.raises(ValueError, match="whole number"):
        ax.build("two_layer", {"seed": 1.5})
    with pytest.raises(ValueError, match="Unknown example"):
        ax.build("eval('1')")
    with pytest.raises(ValueError, match="Unknown option"):
        ax.build("cut", option="x")


def test_backward_on_an_output_without_grad_reports_torchs_message() -> None:
    built = ax.build("linear", requires_grad={"x": False, "w": False, "b": False})
    assert "does not require grad" in ax.backward(built)


@pytest.mark.parametrize(("w", "b"), [(True, True), (False, True), (True, False)])
def test_second_backward_outcome_follows_what_the_graph_saved(w, b) -> None:
    """Only b requiring grad: y = u + b saves nothing, so a second backward runs in torch too."""
    first, second = ax.second_backward("linear", requires_grad={"w": w, "b": b})
    saved = ax.saved_for_backward("linear", requires_grad={"w": w, "b": b})
    x, wt, bt = (
        torch.tensor(2.0),
        torch.tensor(3.0, requires_grad=w),
        torch.tensor(1.0, requires_grad=b),
    )
    y = wt * x + bt
    y.backward()
    try:
        y.backward()
        expected = ""
    except RuntimeError as exc:
        expected = str(exc)
    assert first == "" and second == expected
    assert (saved == 0) == (expected == "") == (not w)


def test_play_traces_the_graph_before_backward_and_backs_only_when_asked() -> None:
    quiet = ax.play("two_layer", {}, {}, None, backward_now=False)
    assert quiet.backward_error is None and quiet.built.tensors["W1"].grad is None
    done = ax.play("two_layer", {}, {}, None, backward_now=True)
    assert done.backward_error == "" and done.built.tensors["W1"].grad is not None
    assert any(e.saved for e in done.graph.edges)  # traced while the saved tensors existed
    assert done.graph == quiet.graph


def test_rules_say_what_a_second_backward_and_two_retained_ones_do() -> None:
    linear = ax.rules("linear", {}, {}, None)
    assert linear.first_error == "" and "second time" in linear.second_error
    assert linear.doubled and [row["tensor"] for row in linear.accumulation] == ["w", "b"]
    off = ax.rules("linear", {}, {"w": False, "b": False}, None)
    assert "does not require grad" in off.first_error and not off.accumulation
