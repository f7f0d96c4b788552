"""The all-gradients view of a graph: ``mg.retain_grads`` + ``draw_graph``
show d(output)/d(box) in every box, the intermediates' included, and
``minigrad graph`` draws its neuron that way."""
import re
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg


def neuron():
    x1 = mg.Tensor(2.0, requires_grad=True, dtype=np.float64)
    w1 = mg.Tensor(-3.0, requires_grad=True, dtype=np.float64)
    b = mg.Tensor(6.8813735870195432, requires_grad=True, dtype=np.float64)
    n = x1 * w1 + b
    o = n.tanh()
    return x1, w1, b, n, o


def test_intermediate_gradients_follow_the_chain_rule():
    x1, w1, b, n, o = neuron()
    mg.retain_grads(o)
    o.backward()
    local = 1.0 - np.tanh(n.data) ** 2          # do/dn
    assert o.grad == pytest.approx(1.0)
    assert n.grad == pytest.approx(local, rel=1e-12)
    assert w1.grad == pytest.approx(local * x1.data, rel=1e-12)


def test_retaining_does_not_change_the_leaves_gradients():
    plain, kept = neuron(), neuron()
    plain[-1].backward()
    mg.retain_grads(kept[-1]).backward()
    for a, b in zip(plain[:3], kept[:3]):
        assert a.grad == b.grad
    assert plain[3].grad is None          # without retain_grads: leaves only


def box_labels(dot):
    return [lab for lab, shape in re.findall(
        r'\[label="([^"]*)" shape="(\w+)"', dot) if shape == "box"]


def test_draw_graph_prints_a_gradient_in_every_box():
    x1, w1, b, n, o = neuron()
    mg.retain_grads(o)
    o.backward()
    boxes = box_labels(mg.viz.to_dot(o))
    assert len(boxes) == 6                # x1, w1, x1*w1, b, n, o
    assert all("grad [" in lab for lab in boxes), boxes


def test_retain_grads_wants_a_tensor():
    with pytest.raises(TypeError, match="expects a minigrad Tensor"):
        mg.retain_grads(np.ones(3))


def test_minigrad_graph_neuron_shows_every_gradient():
    r = subprocess.run([sys.executable, "-m", "minigrad", "graph", "--format",
                        "dot", "-o", "-"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    boxes = box_labels(r.stdout)
    assert len(boxes) == 10               # 4 inputs, b, 2 products, 2 sums, o
    assert all("grad [" in lab for lab in boxes), boxes
    # do/dn = 1 - tanh(n)^2 = 0.5 for the classic neuron (n = 0.8814)
    n_box = next(lab for lab in boxes if lab.startswith("n\\n"))
    assert "grad [0.5]" in n_box


def test_rankdir_turns_the_drawing():
    x1, w1, b, n, o = neuron()
    assert "rankdir=LR" in mg.viz.to_dot(o)
    assert "rankdir=TB" in mg.viz.to_dot(o, rankdir="TB")
    with pytest.raises(ValueError, match="rankdir must be"):
        mg.viz.to_dot(o, rankdir="up")


def test_minigrad_graph_of_a_model_shows_every_gradient():
    r = subprocess.run([sys.executable, "-m", "minigrad", "graph", "--model",
                        "2,4,1", "--format", "dot", "-o", "-"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    boxes = box_labels(r.stdout)
    with_grad = [lab for lab in boxes if "grad " in lab]
    constants = [lab for lab in boxes if "[constant]" in lab]
    assert len(boxes) > 8
    assert len(with_grad) + len(constants) == len(boxes), boxes
