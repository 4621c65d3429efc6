"""The autograd graph as data: a walk over ``grad_fn.next_functions`` (lesson #10).

Like micrograd's ``trace(root)``, ``trace`` only computes: it returns tensor nodes, op nodes
and edges, and ``graph_render`` turns them into DOT. Edges point the way data flows in the
forward pass (input -> op -> result), the reverse of the way backward walks them.

Tensors that do not require grad never appear in a ``grad_fn`` chain, so callers name them
explicitly; they are drawn anyway, linked with a dashed "saved" edge to any op that kept them
for backward (``_saved_*`` attributes), and otherwise standing apart.
"""

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import torch

ACCUMULATE_GRAD = "AccumulateGrad"


def read_grad(t: torch.Tensor) -> tuple[torch.Tensor | None, str]:
    """``t.grad``, and the first sentence of each warning torch gives for reading it (a
    non-leaf's: torch's text goes on for five sentences; its first one says it all)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grad = t.grad
    return grad, " ".join(str(w.message).split(". ")[0] + "." for w in caught)


@dataclass(frozen=True)
class TensorNode:
    """One tensor: a leaf, a parameter, an intermediate result or a constant."""

    id: str
    name: str  # the example's variable name, or a parameter name like "0.weight"
    shape: tuple[int, ...]
    dtype: str  # "float32"
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None  # "MulBackward0"; None for leaves
    retains_grad: bool
    is_param: bool = False

    @property
    def kind(self) -> str:
        """'leaf' (gets .grad), 'constant' (no grad), or 'result' (made by an op)."""
        if not self.requires_grad:
            return "constant"
        return "leaf" if self.is_leaf else "result"


@dataclass(frozen=True)
class OpNode:
    """One backward function; AccumulateGrad ops carry the id of the leaf they fill."""

    id: str
    name: str  # type(grad_fn).__name__
    leaf: str | None = None  # TensorNode.id for AccumulateGrad


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    saved: bool = False  # True: the op only saved this tensor for backward; no grad flows


@dataclass
class Graph:
    tensors: list[TensorNode] = field(default_factory=list)
    ops: list[OpNode] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


def _fn_name(fn) -> str:
    return type(fn).__name__


def describe(t: torch.Tensor, node_id: str, name: str, is_param: bool = False) -> TensorNode:
    return TensorNode(
        id=node_id,
        name=name,
        shape=tuple(t.shape),
        dtype=str(t.dtype).removeprefix("torch."),
        requires_grad=t.requires_grad,
        is_leaf=t.is_leaf,
        grad_fn=None if t.grad_fn is None else _fn_name(t.grad_fn),
        retains_grad=t.retains_grad,
        is_param=is_param,
    )


def _saved_tensors(fn) -> list[torch.Tensor]:
    """The tensors a backward function kept; empty once backward has freed them."""
    saved = []
    for attr in dir(fn):
        if not attr.startswith("_saved_"):
            continue
        try:
            value = getattr(fn, attr)
        except RuntimeError:  # freed by an earlier backward without retain_graph
            continue
        if isinstance(value, torch.Tensor):
            saved.append(value)
    return saved


def trace(
    tensors: Mapping[str, torch.Tensor],
    params: Mapping[str, torch.Tensor] | None = None,
) -> Graph:
    """Walk back from every named tensor that has a grad_fn; name leaves and parameters.

    ``tensors``: the example's variables by name (inputs, intermediates, outputs), in the order
    they should be listed. ``params``: a model's named parameters.
    """
    graph = Graph()
    by_identity: dict[int, str] = {}  # id(tensor) -> node id
    by_output: dict[tuple[int, int], str] = {}  # (id(grad_fn), output_nr) -> tensor node id
    named = [(name, t, False) for name, t in tensors.items()]
    named += [(name, p, True) for name, p in (params or {}).items()]
    for name, t, is_param in named:
        if id(t) in by_identity:  # the same tensor under two names: "h = c"
            index = next(i for i, n in enumerate(graph.tensors) if n.id == by_identity[id(t)])
            node = graph.tensors[index]
            graph.tensors[index] = replace(node, name=f"{node.name} = {name}")
            continue
        node = describe(t, f"t{len(graph.tensors)}", name, is_param)
        graph.tensors.append(node)
        by_identity[id(t)] = node.id
        if t.grad_fn is not None:
            by_output[(id(t.grad_fn), t.output_nr)] = node.id

    ops: dict[int, OpNode] = {}  # id(grad_fn) -> node; the fns stay alive while we walk
    keep_alive = []

    def op_node(fn) -> OpNode:
        if id(fn) not in ops:
            keep_alive.append(fn)
            leaf = None
            if _fn_name(fn) == ACCUMULATE_GRAD:
                leaf_tensor = fn.variable
                if id(leaf_tensor) not in by_identity:  # a leaf nobody named
                    node = describe(leaf_tensor, f"t{len(graph.tensors)}", "(unnamed leaf)")
                    graph.tensors.append(node)
                    by_identity[id(leaf_tensor)] = node.id
                leaf = by_identity[id(leaf_tensor)]
            ops[id(fn)] = OpNode(f"op{len(ops)}", _fn_name(fn), leaf)
            graph.ops.append(ops[id(fn)])
        return ops[id(fn)]

    def output_of(fn, nr: int) -> str:
        """Where data leaves ``fn``: a named tensor if one is its output, else the op itself."""
        return by_output.get((id(fn), nr), op_node(fn).id)

    stack = [t.grad_fn for _, t, _ in named if t.grad_fn is not None]
    seen: set[int] = set()
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        node = op_node(fn)
        if node.leaf is not None:
            graph.edges.append(Edge(node.leaf, node.id))
        for (made_by, _), tensor_id in by_output.items():  # named tensors this op made
            if made_by == id(fn):
                graph.edges.append(Edge(node.id, tensor_id))
        for next_fn, nr in fn.next_functions:
            if next_fn is None:  # an input that needs no grad
                continue
            graph.edges.append(Edge(output_of(next_fn, nr), node.id))
            stack.append(next_fn)
        for saved in _saved_tensors(fn):
            target = by_identity.get(id(saved)) or by_identity.get(id(saved._base))
            if target is not None and not saved.requires_grad:
                graph.edges.append(Edge(target, node.id, saved=True))
    graph.edges = list(dict.fromkeys(graph.edges))  # an op saving one tensor twice
    return graph


def model_tensors(
    model: torch.nn.Module, criterion: torch.nn.Module, inputs: torch.Tensor, targets
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """One forward pass and its loss, named for ``trace``: (tensors, parameters)."""
    outputs = model(inputs)
    loss = criterion(outputs, targets)
    tensors = {"x (batch)": inputs, "targets": targets, "outputs": outputs, "loss": loss}
    return tensors, dict(model.named_parameters())
