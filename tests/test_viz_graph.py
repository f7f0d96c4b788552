"""draw_graph / to_dot: the structure of the DOT text, names, marking, limits,
and rendering (where the Graphviz `dot` program exists)."""
import re
import shutil
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad.viz import graph as viz_graph

NODE = re.compile(r'^\t(\w+) \[label="((?:[^"\\]|\\.)*)"(.*)\]$', re.M)
EDGE = re.compile(r"^\t(\w+) -> (\w+)", re.M)


def parse(source):
    """{node id: (label text, attribute text)}, [(src, dst)]."""
    nodes = {m[1]: (m[2].replace("\\n", "\n"), m[3])
             for m in NODE.finditer(source)}
    edges = [(m[1], m[2]) for m in EDGE.finditer(source)]
    return nodes, edges


def by_first_word(nodes, word):
    return [k for k, (label, _) in nodes.items()
            if label.split("\n")[0].split(" ")[0] == word]


def neuron():
    x = mg.Tensor([1.0, 2.0], name="x")
    w = mg.Tensor([0.5, -1.0], requires_grad=True, name="w")
    b = mg.Tensor(0.25, requires_grad=True, name="b")
    y = ((x * w).sum() + b).tanh()
    y.backward(retain_graph=True)
    return x, w, b, y


def test_known_expression_counts_labels_and_direction():
    x, w, b, y = neuron()
    nodes, edges = parse(viz_graph.to_dot(y))
    tensors = [k for k in nodes if k.startswith("t")]
    ops = [k for k in nodes if k.startswith("f")]
    # tensors: x, w, x*w, sum, b, sum+b, y ; ops: mul, sum, add, tanh
    assert len(tensors) == 7 and len(ops) == 4
    assert sorted(nodes[k][0] for k in ops) == ["add", "mul", "sum", "tanh"]
    # each op has one edge per input into it and one edge out of it
    assert len(edges) == 2 + 1 + 2 + 1 + 4
    (mul,) = [k for k in ops if nodes[k][0] == "mul"]
    (xk,) = by_first_word(nodes, "x")
    (wk,) = by_first_word(nodes, "w")
    assert (xk, mul) in edges and (wk, mul) in edges     # data-flow direction
    (tanh,) = [k for k in ops if nodes[k][0] == "tanh"]
    (yk,) = by_first_word(nodes, "y")                    # caller's variable
    assert (tanh, yk) in edges and "[output]" in nodes[yk][0]


def test_labels_show_shape_dtype_data_and_grad():
    x, w, b, y = neuron()
    nodes, _ = parse(viz_graph.to_dot(y))
    (wk,) = by_first_word(nodes, "w")
    label = nodes[wk][0]
    assert "(2,) float32" in label and "data [0.5, -1]" in label
    expected = np.array2string(w.grad)  # grad shown to 4 significant digits
    g0 = float(label.split("grad [")[1].split(",")[0])
    assert g0 == pytest.approx(float(w.grad[0]), rel=1e-3), expected
    (xk,) = by_first_word(nodes, "x")
    assert "grad" not in nodes[xk][0] and "[constant]" in nodes[xk][0]
    assert "leaf (requires grad)" in nodes[wk][0]
    bare, _ = parse(viz_graph.to_dot(y, show_data=False, show_grad=False))
    assert not any("data" in lab or "grad " in lab for lab, _ in bare.values())


def test_draw_graph_is_a_digraph_with_the_same_source():
    graphviz = pytest.importorskip("graphviz")
    x, w, b, y = neuron()
    g = mg.draw_graph(y)
    assert isinstance(g, graphviz.Digraph)
    assert g.source == viz_graph.to_dot(y)


def test_mlp_parameters_are_marked_with_dotted_names():
    from minigrad import nn
    from minigrad.nn import functional as F

    mg.manual_seed(0)
    model = nn.MLP([2, 8, 8, 1])
    x = mg.Tensor(np.random.default_rng(0).normal(size=(5, 2)),
                  dtype=np.float32)
    loss = F.mse_loss(model(x), mg.Tensor(np.zeros((5, 1), np.float32)))
    loss.backward(retain_graph=True)
    nodes, edges = parse(viz_graph.to_dot(loss, names=model))
    params = dict(model.named_parameters())
    marked = {label.split("  ")[0] for label, attrs in nodes.values()
              if "[parameter]" in label}
    assert marked == set(params)                # every parameter, named
    assert all("filled,rounded" in attrs for label, attrs in nodes.values()
               if "[parameter]" in label)
    # every edge joins a tensor and an op, never two of a kind
    assert all(a[0] != b[0] for a, b in edges)
    # names from the caller's variables when no names are given
    nodes2, _ = parse(viz_graph.to_dot(loss))
    assert any(lab.startswith("model.") for lab, _ in nodes2.values())
    # large arrays are summarised, not printed
    (w0,) = [lab for lab, _ in nodes.values() if lab.startswith(
        next(n for n in params if params[n].size == 64))]
    assert "mean" in w0 and "std" in w0 and w0.count(",") < 6


def test_collapse_hides_intermediates_and_labels_edges_with_shapes():
    x, w, b, y = neuron()
    nodes, edges = parse(viz_graph.to_dot(y, collapse=True))
    assert len([k for k in nodes if k.startswith("t")]) == 4  # x, w, b, y
    assert len([k for k in nodes if k.startswith("f")]) == 4
    assert "-> f" in viz_graph.to_dot(y, collapse=True)
    assert '[label="(2,)"]' in viz_graph.to_dot(y, collapse=True)


def _long_chain(z, n):
    c = z
    for _ in range(n):
        c = c * 1.0001
    return c.exp()


def test_long_chain_is_folded_into_one_node():
    z = mg.Tensor(1.0, requires_grad=True)
    out = _long_chain(z, 2000)
    nodes, edges = parse(viz_graph.to_dot(out))
    assert len(nodes) == 4                     # z, 1.0001, chain, out
    chains = [lab for lab, _ in nodes.values() if "chained ops" in lab]
    assert chains == ["2001 chained ops\nmul x2000, exp x1"]
    assert len(edges) == 3
    # a tensor the caller holds by name stays visible: the chain splits there
    mid = out.creator.inputs[0]
    nodes, _ = parse(viz_graph.to_dot(out))
    assert any(lab.startswith("mid") for lab, _ in nodes.values())
    del mid


def test_max_nodes_caps_a_wide_graph_and_says_what_was_left_out():
    leaves = [mg.Tensor(float(i), requires_grad=True) for i in range(300)]
    total = mg.stack(leaves).sum()
    # 300 leaves, stack, the stacked tensor, sum, total = 304 nodes
    nodes, edges = parse(viz_graph.to_dot(total, max_nodes=50,
                                          collapse=False))
    assert len(nodes) == 51
    (more,) = [lab for lab, _ in nodes.values() if "more nodes" in lab]
    assert more.startswith(f"... {304 - 50} more nodes")
    assert all(src in nodes and dst in nodes for src, dst in edges)


def test_summarize():
    assert viz_graph.summarize(np.array([1.0, 2.5])) == "[1, 2.5]"
    text = viz_graph.summarize(np.array([1.0, np.nan, np.inf, 3.0, 5.0]))
    assert "mean 3" in text and "1 nan, 1 inf" in text
    assert viz_graph.summarize(np.zeros((0, 3))) == "[] (empty)"
    assert viz_graph.summarize(np.arange(10)) .startswith("mean 4.5")


def test_bad_arguments():
    with pytest.raises(TypeError, match="expects a minigrad Tensor"):
        viz_graph.to_dot(np.ones(3))
    t = mg.Tensor(1.0)
    with pytest.raises(ValueError, match="max_nodes"):
        viz_graph.to_dot(t, max_nodes=0)
    with pytest.raises(ValueError, match="collapse"):
        viz_graph.to_dot(t, collapse="yes")


def test_missing_graphviz_package_names_the_install_command(monkeypatch):
    from minigrad.viz import _deps

    monkeypatch.setattr(_deps, "_DIGRAPH_CLASS", [])
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match="pip install graphviz"):
        mg.draw_graph(mg.Tensor(1.0))
    assert "digraph" in viz_graph.to_dot(mg.Tensor(1.0))  # still works


def test_rendering_without_dot_says_how_to_install(monkeypatch):
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", "/nonexistent")
    x, w, b, y = neuron()
    g = mg.draw_graph(y)
    with pytest.raises(viz_graph.GraphvizNotFoundError,
                       match="apt-get install graphviz"):
        g.pipe(format="svg")
    bundle = g._repr_mimebundle_()        # what Jupyter shows instead
    assert "digraph" in bundle["text/plain"]
    assert g._repr_svg_() is None         # IPython asks for SVG on its own too


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="the Graphviz dot program is not installed")
def test_renders_svg_with_dot():
    pytest.importorskip("graphviz")
    x, w, b, y = neuron()
    svg = mg.draw_graph(y).pipe(format="svg", encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert svg.count('class="node"') == 11 and svg.count('class="edge"') == 10
    assert "tanh" in svg and mg.draw_graph(y)._repr_svg_() == svg
