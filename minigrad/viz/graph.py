"""Draw the computation graph that produced a tensor.

    >>> x = mg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    >>> y = (x * x).sum()
    >>> y.backward(retain_graph=True)
    >>> g = mg.draw_graph(y)     # a graphviz.Digraph; shows inline in Jupyter
    >>> print(g.source)          # DOT text, no Graphviz program needed
    >>> g.render("graph", format="svg")   # needs the Graphviz `dot` program

The picture has one box per tensor (its name, shape, dtype and a summary of
its data and gradient) and one ellipse per operation (the Function's
``label``); arrows follow the data, from inputs to outputs, the way the
forward pass ran -- backward walks them in reverse. Parameters are filled
blue, other leaves that require grad light blue, constants grey, the output
orange.

It works in two stages: ``to_dot`` turns the graph into DOT text with plain
Python (no graphviz package, no ``dot`` program), and ``draw_graph`` wraps
that text in a ``graphviz.Digraph`` for rendering. Names come from, in order:
``Tensor.name``; the ``names`` argument (a dict of name -> Tensor, or a Module
whose ``named_parameters()`` give dotted names such as ``layers.0.weight``);
the caller's local variables (``w`` for a tensor the caller holds as ``w``,
``model.layers.0.weight`` for a parameter of a module held as ``model``).

Big graphs stay readable: arrays are summarised (mean, std, min, max) instead
of printed, long chains of one-input operations are folded into one node,
intermediate tensors become edge labels when the graph has more than
``collapse_above`` nodes, and at most ``max_nodes`` nodes are drawn (those
nearest the output) with one node saying how many were left out.

Gradients: leaves keep theirs after ``backward()``; an intermediate tensor
keeps its gradient only when asked (``Tensor.retain_grad()``, as in PyTorch).
``retain_grads(output)`` asks for every tensor of the graph at once, so that
after ``output.backward()`` every box shows d(output)/d(box), micrograd style.

Note: ``backward()`` frees the graph unless ``retain_graph=True``; draw before
calling backward, or pass ``retain_graph=True`` to see the gradients too.
"""
import inspect
from collections import deque

import numpy as np

from ._deps import GraphvizNotFoundError, digraph_class  # noqa: F401

# fill colours by role (light, so black text stays readable when printed)
_STYLE = {
    "parameter": "#9ec5fe",
    "leaf": "#cfe2ff",
    "constant": "#e9ecef",
    "output": "#ffd8a8",
    "intermediate": "#ffffff",
}
_OP_FILL = "#fff3bf"
_GRAPH_ATTRS = ('graph [rankdir=LR fontname=Helvetica]',
                'node [fontname=Helvetica fontsize=10]',
                'edge [fontname=Helvetica fontsize=9]')


# ----------------------------------------------------------------- summaries
def summarize(array, max_values=4):
    """A one-line description of an array: its values when there are at most
    ``max_values`` of them, otherwise mean/std/min/max (finite entries only)
    plus counts of nan and inf."""
    a = np.asarray(array)
    if a.size == 0:
        return "[] (empty)"
    flat = a.reshape(-1)
    if a.size <= max_values:
        return "[" + ", ".join(_fmt(v) for v in flat) + "]"
    if a.dtype.kind == "b":
        return f"{int(flat.sum())} true of {a.size}"
    finite = flat[np.isfinite(flat)] if a.dtype.kind in "fc" else flat
    parts = []
    if finite.size:
        f64 = finite.astype(np.float64)
        parts.append(f"mean {_fmt(f64.mean())} std {_fmt(f64.std())}")
        parts.append(f"min {_fmt(f64.min())} max {_fmt(f64.max())}")
    bad = flat.size - finite.size
    if bad:
        n_nan = int(np.isnan(flat).sum())
        parts.append(f"{n_nan} nan, {bad - n_nan} inf")
    return "\n".join(parts)


def _fmt(value):
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.4g}"


def _quote(text):
    """A DOT double-quoted string; newlines become DOT's \\n line breaks."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'


# ------------------------------------------------------------------ naming
def _is_module(obj):
    return callable(getattr(obj, "named_parameters", None)) and not \
        isinstance(obj, type)


def _collect_names(names, frame):
    """id(tensor) -> name from the ``names`` argument and the caller's locals.
    Explicit names win over variables; a variable wins over a module path."""
    from ..tensor import Tensor

    found = {}

    def add(name, obj, overwrite):
        if isinstance(obj, Tensor) and (overwrite or id(obj) not in found):
            found[id(obj)] = name

    if frame is not None:
        scope = dict(frame.f_globals)
        scope.update(frame.f_locals)
        for var, value in scope.items():
            if var.startswith("_"):
                continue
            if _is_module(value):
                for pname, p in value.named_parameters():
                    add(f"{var}.{pname}", p, overwrite=False)
        for var, value in scope.items():
            if not var.startswith("_"):
                add(var, value, overwrite=True)
    if _is_module(names):
        names = dict(names.named_parameters())
    for name, obj in (names or {}).items():
        add(name, obj, overwrite=True)
    return found


# ------------------------------------------------------------------ walking
class _Graph:
    """The graph behind ``output``, walked breadth-first without recursion
    (graphs may be 10^5 operations deep)."""

    def __init__(self, output):
        self.output = output
        self.tensors = {id(output): output}   # id -> Tensor, BFS order
        self.functions = {}                   # id -> Function, BFS order
        self.inputs = {}       # id(fn) -> [id(tensor), ...]
        self.creator = {}      # id(tensor) -> id(fn)
        self.consumers = {}    # id(tensor) -> [id(fn), ...]
        queue = deque([output])
        while queue:
            t = queue.popleft()
            fn = getattr(t, "creator", None)
            if fn is None:
                continue
            self.creator[id(t)] = id(fn)
            if id(fn) in self.functions:
                continue
            self.functions[id(fn)] = fn
            self.inputs[id(fn)] = []
            for x in getattr(fn, "inputs", None) or ():
                self.inputs[id(fn)].append(id(x))
                self.consumers.setdefault(id(x), []).append(id(fn))
                if id(x) not in self.tensors:
                    self.tensors[id(x)] = x
                    queue.append(x)


def retain_grads(tensor):
    """Call ``retain_grad()`` on every non-leaf tensor of the graph behind
    ``tensor`` (``tensor`` included) and return ``tensor``.

    Call it before ``backward()``: afterwards each intermediate's ``.grad``
    holds d(output)/d(it), and :func:`draw_graph` prints it in its box.
    """
    from ..tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"retain_grads expects a minigrad Tensor, got "
                        f"{type(tensor).__name__}")
    for t in _Graph(tensor).tensors.values():
        if getattr(t, "creator", None) is not None:
            t.retain_grad()
    return tensor


def _role(t, is_output):
    if is_output:
        return "output"
    if getattr(t, "creator", None) is not None:
        return "intermediate"
    if any(c.__name__ == "Parameter" for c in type(t).__mro__):
        return "parameter"
    return "leaf" if getattr(t, "requires_grad", False) else "constant"


def _op_label(fn):
    return getattr(fn, "label", None) or type(fn).__name__.lower()


class _Display:
    """Nodes and edges as they will be drawn, before DOT is written."""

    def __init__(self):
        self.nodes = {}   # key -> (label, attrs dict); insertion = BFS order
        self.edges = []   # (src key, dst key, label or None)
        self.shapes = {}  # tensor node key -> "(2, 3)"

    def add(self, key, label, **attrs):
        self.nodes[key] = (label, attrs)


def _build(g, names, show_data, show_grad, max_values, max_chain):
    output = g.output
    tkey = {tid: f"t{i}" for i, tid in enumerate(g.tensors)}
    fkey = {fid: f"f{i}" for i, fid in enumerate(g.functions)}

    def is_constant(tid):
        return _role(g.tensors[tid], False) == "constant"

    # Fold chains: f1 -> t -> f2 where t is an unnamed intermediate used only
    # by f2, and t is f2's only non-constant input.
    link_next = {}
    for tid, fid in g.creator.items():
        users = g.consumers.get(tid, [])
        if tid == id(output) or tid in names or len(users) != 1:
            continue
        others = [x for x in g.inputs[users[0]] if x != tid]
        if all(is_constant(x) for x in others):
            link_next[fid] = (tid, users[0])
    has_prev = {nxt for _, nxt in link_next.values()}
    hidden, chain_of = set(), {}
    for head in g.functions:
        if head in has_prev or head not in link_next:
            continue
        chain = [head]
        while chain[-1] in link_next:
            chain.append(link_next[chain[-1]][1])
        if len(chain) >= max_chain:
            hidden.update(chain[1:])
            hidden.update(link_next[fid][0] for fid in chain[:-1])
            chain_of[head] = chain
    chain_head = {m: head for head, chain in chain_of.items() for m in chain}

    # constants used only inside folded chains disappear with the chain
    for tid, users in g.consumers.items():
        if is_constant(tid) and users and all(
                u in hidden for u in users):
            hidden.add(tid)

    d = _Display()
    for tid, t in g.tensors.items():
        if tid in hidden:
            continue
        role = _role(t, tid == id(output))
        lines = [names.get(tid) or ""]
        tag = {"parameter": "parameter", "leaf": "leaf (requires grad)",
               "constant": "constant", "output": "output"}.get(role)
        if tag:
            lines[0] = f"{lines[0]}  [{tag}]" if lines[0] else f"[{tag}]"
        lines = [s for s in lines if s]
        data = np.asarray(t.data)
        d.shapes[tkey[tid]] = str(tuple(data.shape))
        lines.append(f"{d.shapes[tkey[tid]]} {data.dtype}")
        if show_data:
            lines.append("data " + summarize(data, max_values))
        grad = getattr(t, "grad", None)
        if show_grad and grad is not None:
            lines.append("grad " + summarize(grad, max_values))
        d.add(tkey[tid], "\n".join(lines), shape="box",
              style="filled,rounded" if role == "parameter" else "filled",
              fillcolor=_STYLE[role],
              penwidth="2" if role in ("parameter", "output") else "1")
    for fid, fn in g.functions.items():
        if fid in hidden:
            continue
        chain = chain_of.get(fid)
        if chain:
            labels = [_op_label(g.functions[c]) for c in chain]
            counts = {lab: labels.count(lab) for lab in labels}
            kinds = ", ".join(f"{lab} x{n}" for lab, n in counts.items())
            d.add(fkey[fid], f"{len(chain)} chained ops\n{kinds}",
                  shape="doubleoctagon", style="filled", fillcolor=_OP_FILL)
            for x in g.inputs[fid]:
                d.edges.append((tkey[x], fkey[fid], None))
            continue
        attrs = {"shape": "ellipse", "style": "filled", "fillcolor": _OP_FILL}
        where = getattr(fn, "created_at", None)
        if where:
            attrs["tooltip"] = f"created at {where}"
        d.add(fkey[fid], _op_label(fn), **attrs)
        for x in g.inputs[fid]:
            d.edges.append((tkey[x], fkey[fid], None))
    for tid, fid in g.creator.items():
        if tid not in hidden:
            d.edges.append((fkey[chain_head.get(fid, fid)], tkey[tid], None))
    return d, tkey


def _collapse(d, g, tkey, names):
    """Hide unnamed intermediate tensors; their shape labels the edge."""
    drop = {tkey[tid] for tid, t in g.tensors.items()
            if tkey[tid] in d.nodes and tid != id(g.output)
            and getattr(t, "creator", None) is not None and tid not in names}
    producer = {dst: src for src, dst, _ in d.edges if dst in drop}
    edges = []
    for src, dst, label in d.edges:
        if dst in drop:
            continue
        if src in drop:
            edges.append((producer[src], dst, d.shapes[src]))
        else:
            edges.append((src, dst, label))
    for key in drop:
        del d.nodes[key]
    d.edges = edges


def _truncate(d, output_key, max_nodes):
    """Keep the ``max_nodes`` nodes nearest the output (walking edges
    backwards); one extra node stands for all the others."""
    if len(d.nodes) <= max_nodes:
        return
    parents = {}
    for src, dst, _ in d.edges:
        parents.setdefault(dst, []).append(src)
    keep, queue = {output_key}, deque([output_key])
    while queue and len(keep) < max_nodes:
        for p in parents.get(queue.popleft(), ()):
            if p not in keep and len(keep) < max_nodes:
                keep.add(p)
                queue.append(p)
    left_out = len(d.nodes) - len(keep)
    d.nodes = {k: v for k, v in d.nodes.items() if k in keep}
    d.add("more", f"... {left_out} more nodes not drawn\n"
          f"(max_nodes={max_nodes})", shape="note", style="filled",
          fillcolor=_STYLE["constant"])
    edges, seen = [], set()
    for src, dst, label in d.edges:
        if dst not in keep:
            continue
        if src not in keep:
            if dst in seen:
                continue
            seen.add(dst)
            src, label = "more", None
        edges.append((src, dst, label))
    d.edges = edges


def _dot_lines(d, rankdir="LR"):
    lines = [f"\t{stmt}\n".replace("rankdir=LR", f"rankdir={rankdir}")
             for stmt in _GRAPH_ATTRS]
    for key, (label, attrs) in d.nodes.items():
        extra = "".join(f" {k}={_quote(v)}" for k, v in attrs.items())
        lines.append(f"\t{key} [label={_quote(label)}{extra}]\n")
    for src, dst, label in d.edges:
        tail = f" [label={_quote(label)}]" if label else ""
        lines.append(f"\t{src} -> {dst}{tail}\n")
    return lines


def _body(tensor, show_data, show_grad, names, frame, max_nodes,
          collapse, collapse_above, max_values, max_chain, rankdir="LR"):
    from ..tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(
            f"draw_graph expects a minigrad Tensor, got {type(tensor).__name__}")
    for arg, value, lowest in (("max_nodes", max_nodes, 2),
                               ("max_values", max_values, 0),
                               ("max_chain", max_chain, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or \
                value < lowest:
            raise ValueError(f"{arg} must be an int >= {lowest}, got {value!r}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got "
                         f"{rankdir!r}")
    if collapse not in (True, False, "auto"):
        raise ValueError(f"collapse must be True, False or 'auto', got "
                         f"{collapse!r}")
    g = _Graph(tensor)
    known = _collect_names(names, frame)
    known.update({tid: t.name for tid, t in g.tensors.items()
                  if getattr(t, "name", None)})   # Tensor.name wins
    d, tkey = _build(g, known, show_data, show_grad, max_values, max_chain)
    if collapse is True or (collapse == "auto" and len(d.nodes) > collapse_above):
        _collapse(d, g, tkey, known)
    _truncate(d, tkey[id(tensor)], max_nodes)
    return _dot_lines(d, rankdir)


def to_dot(tensor, show_data=True, show_grad=True, names=None, *,
           max_nodes=150, collapse="auto", collapse_above=60, max_values=4,
           max_chain=8, rankdir="LR", _frame=None):
    """The DOT text of ``tensor``'s graph, built with plain Python (needs
    neither the graphviz package nor the ``dot`` program). Arguments as for
    :func:`draw_graph`."""
    frame = _frame or inspect.currentframe().f_back
    body = _body(tensor, show_data, show_grad, names, frame, max_nodes,
                 collapse, collapse_above, max_values, max_chain, rankdir)
    return "digraph minigrad {\n" + "".join(body) + "}\n"


def draw_graph(tensor, show_data=True, show_grad=True, names=None, *,
               max_nodes=150, collapse="auto", collapse_above=60,
               max_values=4, max_chain=8, rankdir="LR"):
    """Return a ``graphviz.Digraph`` of the graph that produced ``tensor``.

    show_data / show_grad: print a summary of each tensor's values / gradient
        (intermediates have one after ``retain_grads(tensor)`` + backward).
    names: extra names, a dict {name: Tensor} or a Module (dotted parameter
        names); the caller's local variable names are used as well.
    max_nodes: draw at most this many nodes, those nearest the output.
    collapse: True hides unnamed intermediate tensors (their shape labels the
        edge instead); "auto" does so above ``collapse_above`` nodes.
    max_values: arrays with at most this many elements are printed in full.
    max_chain: fold runs of this many or more one-input operations into one
        node (e.g. "1000 chained ops / mul x1000").
    rankdir: "LR" draws left to right (default), "TB" top to bottom (for
        long graphs).

    ``.source`` is the DOT text and works without Graphviz installed; in
    Jupyter the result renders as SVG. Rendering (``.render``, ``.pipe``,
    display) needs the Graphviz ``dot`` program; without it a
    ``GraphvizNotFoundError`` explains how to install it. Without the
    graphviz *Python package* this raises ImportError naming the pip command
    (``to_dot`` gives the same text without it).
    """
    frame = inspect.currentframe().f_back
    body = _body(tensor, show_data, show_grad, names, frame, max_nodes,
                 collapse, collapse_above, max_values, max_chain, rankdir)
    return digraph_class()(name="minigrad", body=body)
