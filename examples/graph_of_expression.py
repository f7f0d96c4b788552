"""Draw the computation graph of a small expression.

    python examples/graph_of_expression.py [OUTPUT]   (default: expression.svg)

One neuron, o = tanh(w . x + b), after o.backward(). Each box is a tensor
(name, shape, dtype, its value and -- for the leaves that require grad -- its
gradient do/d(box)); each yellow ellipse an operation; arrows follow the
forward pass. backward() walks them in reverse, applying the chain rule.

Check one gradient by hand: do/db = 1 - tanh(n)^2, and do/dw = (1 - o^2) * x.
The DOT text is printed, so this works without the Graphviz program; with it,
the picture is rendered to OUTPUT as well.
"""
import argparse

import numpy as np

import minigrad as mg
from minigrad.viz import to_dot


def main(output="expression.svg"):
    x = mg.Tensor([1.0, -2.0, 0.5], name="x")          # an input: no grad
    w = mg.Tensor([0.3, 0.1, -0.4], requires_grad=True, name="w")
    b = mg.Tensor(0.2, requires_grad=True, name="b")
    n = (w * x).sum() + b
    o = n.tanh()
    o.backward()        # the graph's structure stays drawable after backward

    # the chain rule by hand agrees with backward
    assert np.allclose(b.grad, 1 - o.item() ** 2)
    assert np.allclose(w.grad, (1 - o.item() ** 2) * x.data)

    print(to_dot(o))
    try:
        graph = mg.draw_graph(o)
        graph.render(outfile=output, cleanup=True)
    except ImportError as exc:          # the graphviz Python package
        print(f"(not rendered: {exc})")
    except RuntimeError as exc:         # the Graphviz `dot` program
        print(f"(not rendered: {exc})")
    else:
        print(f"graph rendered to {output}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", default="expression.svg",
                        help="picture to render (.svg, .png or .pdf)")
    main(parser.parse_args().output)
