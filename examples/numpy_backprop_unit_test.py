"""Gradient-check your own NumPy backprop: the classic two-layer network.

    python -m pytest examples/numpy_backprop_unit_test.py -q
    python examples/numpy_backprop_unit_test.py          (runs the same checks)

The network is the one of a first backprop assignment, written with NumPy
alone -- no autograd:

    h      = relu(X @ W1 + b1)
    scores = h @ W2 + b2
    loss   = mean_i( logsumexp(scores_i) - scores_i[y_i] )
             + reg * (sum(W1**2) + sum(W2**2))

``backward`` is written by hand, layer by layer (the chain rule backwards).
``mg.check_backward`` compares it with central differences of ``loss``:
element by element, at sampled elements, and along random directions (fast,
whatever the size). ``buggy_backward`` carries a classic mistake -- it
forgets the ReLU's gate, ``dpre = dh`` instead of ``dh * (pre > 0)`` -- and
the check names the parameters and the elements where it goes wrong.
"""
from functools import partial

import numpy as np

import minigrad as mg

REG = 0.05


def loss(X, y, W1, b1, W2, b2):
    h = np.maximum(X @ W1 + b1, 0)
    scores = h @ W2 + b2
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    data_loss = -log_probs[np.arange(len(y)), y].mean()
    return data_loss + REG * (np.sum(W1 * W1) + np.sum(W2 * W2))


def backward(dloss, X, y, W1, b1, W2, b2, relu_gate=True):
    """d(dloss * loss)/d(each input); None for the data X and labels y."""
    pre = X @ W1 + b1                      # forward again: what backward needs
    h = np.maximum(pre, 0)
    scores = h @ W2 + b2
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    dscores = probs.copy()                 # d loss / d scores = (p - onehot)/N
    dscores[np.arange(len(y)), y] -= 1
    dscores *= dloss / len(y)
    dW2 = h.T @ dscores + 2 * REG * dloss * W2
    db2 = dscores.sum(axis=0)              # b2 was added to every row
    dh = dscores @ W2.T
    dpre = dh * (pre > 0) if relu_gate else dh   # the ReLU passes it where on
    dW1 = X.T @ dpre + 2 * REG * dloss * W1
    db1 = dpre.sum(axis=0)
    return None, None, dW1, db1, dW2, db2


# The planted bug: the ReLU's gate forgotten (dpre = dh).
buggy_backward = partial(backward, relu_gate=False)


def loss_in_minigrad(X, y, W1, b1, W2, b2):
    """The same loss with minigrad ops, to compare with its autograd too."""
    from minigrad.nn import functional as F

    h = mg.relu(X @ W1 + b1)
    return (F.cross_entropy(h @ W2 + b2, y)
            + REG * ((W1 * W1).sum() + (W2 * W2).sum()))


def network(seed=0, n=8, d=5, hidden=7, classes=3):
    rng = np.random.default_rng(seed)
    return {"X": rng.standard_normal((n, d)), "y": rng.integers(classes, size=n),
            "W1": 0.5 * rng.standard_normal((d, hidden)), "b1": np.zeros(hidden),
            "W2": 0.5 * rng.standard_normal((hidden, classes)),
            "b2": np.zeros(classes)}


def test_backprop_matches_central_differences():
    inputs = network()
    assert mg.check_backward(loss, backward, inputs)              # every element
    assert mg.check_backward(loss, backward, inputs, samples=5)   # 5 per input
    assert mg.check_backward(loss, backward, inputs, fast=True)   # directions
    assert mg.check_backward(loss, backward, inputs,              # and autograd
                             reference=loss_in_minigrad)


def test_the_planted_bug_is_caught_and_named():
    try:
        mg.check_backward(loss, buggy_backward, network())
    except AssertionError as err:          # a GradcheckError
        print("as expected, check_backward says:\n", err)
        names = [f["name"] for f in err.failures]
        assert names == ["W1", "b1"], names
    else:
        raise AssertionError("check_backward missed the forgotten ReLU gate")
    for mode in ({"samples": 5}, {"fast": True}):
        assert not mg.check_backward(loss, buggy_backward, network(),
                                     raise_exception=False, **mode)


if __name__ == "__main__":
    test_backprop_matches_central_differences()
    test_the_planted_bug_is_caught_and_named()
    print("all backprop checks behaved as expected")
