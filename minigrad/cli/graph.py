"""``minigrad graph``: draw the computation graph of an example or a model."""
import os
import re
import sys

from . import _args

FORMATS = ("svg", "png", "pdf", "dot")

DESCRIPTION = """\
Draw the computation graph that backpropagation walks.

Every tensor is a box (name, shape, dtype, a summary of its values and of its
gradient after backward); every operation is a yellow ellipse; arrows run
from inputs to outputs the way the forward pass computed them. backward()
visits the same graph in reverse, multiplying each incoming gradient by the
operation's local derivative (the chain rule). Parameters are dark blue,
other inputs that require a gradient light blue, constants grey, the output
orange.

Without --model it draws a single artificial neuron,
    o = tanh(x1*w1 + x2*w2 + b),
after o.backward(), so every box shows its gradient do/d(box): the leaves'
gradients, and the intermediates' too (mg.retain_grads(o) asks backward to
keep them). With --model SIZES (e.g. 2,16,1) it draws an MLP with those layer
sizes on a batch of 4 random inputs, with its loss (mean squared error for one
output, cross-entropy for several); every drawn box but the constants (the
inputs x, the targets) shows its gradient; above 60 nodes the unnamed
intermediates are folded into edge labels.

Formats: svg, png and pdf need the Graphviz 'dot' program (the graphviz
Python package alone is not enough); 'dot' writes the DOT text, which needs
nothing. If 'dot' is missing, the DOT text is saved instead and the message
says how to install Graphviz.
"""

EPILOG = """\
examples:
  minigrad graph                            # neuron -> minigrad-graph.svg
  minigrad graph --model 2,16,1 -o mlp.png
  minigrad graph --format dot -o -          # DOT text on stdout
  minigrad graph --no-data                  # shapes and ops only
"""


def add_parser(subparsers):
    """Add the ``graph`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "graph", help="draw a computation graph (DOT, SVG, PNG)",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=_args.Formatter)
    p.add_argument("--model", type=_args.model_sizes, metavar="SIZES",
                   help="layer sizes of an MLP to draw, e.g. 2,16,1")
    p.add_argument("-o", "--output", default=None, metavar="PATH",
                   help="file to write ('-' = DOT on stdout); default "
                        "minigrad-graph.<format>")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="picture format (default: from the file suffix, "
                        "else svg)")
    p.add_argument("--no-data", action="store_true",
                   help="leave out the data and grad summaries")
    p.add_argument("--max-nodes", type=_args.positive_int, default=150,
                   help="draw at most this many nodes (nearest the output)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=run, parser=p)
    return p


def neuron_example():
    """o = tanh(x1*w1 + x2*w2 + b), after backward: returns (o, names)."""
    import minigrad as mg

    # the inputs require grad too, so that every box has a gradient to show
    x1 = mg.Tensor(2.0, requires_grad=True, name="x1")
    x2 = mg.Tensor(0.0, requires_grad=True, name="x2")
    w1 = mg.Tensor(-3.0, requires_grad=True, name="w1")
    w2 = mg.Tensor(1.0, requires_grad=True, name="w2")
    b = mg.Tensor(6.8813735870195432, requires_grad=True, name="b")
    x1w1 = x1 * w1
    x1w1.name = "x1*w1"
    x2w2 = x2 * w2
    x2w2.name = "x2*w2"
    n = x1w1 + x2w2 + b
    n.name = "n"
    o = n.tanh()
    o.name = "o"
    mg.retain_grads(o)   # keep every intermediate's gradient, not only leaves'
    o.backward(retain_graph=True)
    return o


def mlp_example(sizes, seed=0, batch=4):
    """An MLP on a random batch, with its loss, after backward."""
    import numpy as np

    import minigrad as mg
    from minigrad import nn
    from minigrad.nn import functional as F

    mg.manual_seed(seed)
    model = nn.MLP(sizes)
    gen = np.random.default_rng(seed)
    dtype = mg.get_default_dtype()
    x = mg.Tensor(gen.normal(size=(batch, sizes[0])), dtype=dtype, name="x")
    out = model(x)
    if sizes[-1] == 1:
        target = mg.Tensor(gen.normal(size=(batch, 1)),
                           dtype=dtype, name="target")
        loss = F.mse_loss(out, target)
    else:
        target = mg.Tensor(gen.integers(0, sizes[-1], size=batch),
                           name="labels")
        loss = F.cross_entropy(out, target)
    loss.name = "loss"
    mg.retain_grads(loss)
    loss.backward(retain_graph=True)
    return loss, model


def run(args):
    """Run ``minigrad graph`` with the parsed ``args``; returns the exit status."""
    from ..viz import graph as viz_graph
    from ..viz._deps import GraphvizNotFoundError, MissingDependencyError

    fmt = args.format
    if fmt is None and args.output not in (None, "-"):
        suffix = os.path.splitext(args.output)[1].lstrip(".").lower()
        fmt = suffix if suffix in FORMATS else None
        if fmt is None:
            args.parser.error(f"cannot tell the format from "
                              f"{args.output!r}; use a suffix or --format "
                              f"from {', '.join(FORMATS)}")
    fmt = fmt or ("dot" if args.output == "-" else "svg")
    output = args.output or f"minigrad-graph.{fmt}"

    names = None
    if args.model:
        root, names = mlp_example(args.model, seed=args.seed)
        what = f"MLP {args.model} with its loss"
    else:
        root = neuron_example()
        what = "the neuron o = tanh(x1*w1 + x2*w2 + b)"
    show = not args.no_data
    source = viz_graph.to_dot(root, show_data=show, show_grad=show,
                              names=names, max_nodes=args.max_nodes)
    n_nodes = len(re.findall(r"^\t\w+ \[label=", source, re.M))
    n_edges = len(re.findall(r"^\t\w+ -> ", source, re.M))
    print(f"minigrad graph: {what}: {n_nodes} nodes, {n_edges} edges",
          file=sys.stderr)
    if fmt == "dot":
        return _write_dot(source, output)
    try:
        digraph = viz_graph.draw_graph(root, show_data=show, show_grad=show,
                                       names=names, max_nodes=args.max_nodes)
        data = digraph.pipe(format=fmt)
    except (GraphvizNotFoundError, MissingDependencyError) as exc:
        fallback = os.path.splitext(output)[0] + ".dot"
        _args.warn(f"could not render {fmt}: {exc}")
        _write_dot(source, fallback)
        return 0
    with open(output, "wb") as fh:
        fh.write(data)
    print(f"graph saved to {output}")
    return 0


def _write_dot(source, path):
    if path == "-":
        sys.stdout.write(source)
        return 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(source)
    print(f"DOT text saved to {path} (render it with: dot -Tsvg {path} "
          f"-o graph.svg)")
    return 0
