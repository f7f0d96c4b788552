"""Exercise gradcheck_test: write a gradient-check unit test for a module.

``Swish`` below computes x * sigmoid(beta * x) with a learnable ``beta``, one
per feature. For speed it is one fused op, ``SwishFn``, whose backward was
written by hand -- exactly the kind of code that needs a gradient test.

Write one or more pytest-style test functions (names starting with
``test``) that fail if any gradient of Swish is wrong: the gradient with
respect to the input x, and the one with respect to the parameter beta.
Use ``mg.gradcheck`` and/or ``mg.gradcheck_module``.

How it is graded: your tests must pass on this Swish, and must FAIL on each
of several broken copies of it that the checker keeps (each with one wrong
gradient). A test that cannot fail catches nothing. Think about: float64,
inputs of both signs, every parameter, and outputs weighted unequally.

Check:  minigrad exercise check gradcheck_test
Run your tests:  python -m pytest gradcheck_test.py
"""
import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.autograd import Function
from minigrad.ops_math import sum_to


class SwishFn(Function):
    """y = x * s with s = sigmoid(beta x);  dy/dx = s + beta x s (1 - s),
    dy/dbeta = x^2 s (1 - s)."""

    label = "swish"

    def forward(self, x, beta):
        self.s = 1.0 / (1.0 + np.exp(-beta * x))
        return x * self.s

    def backward(self, gy):
        x, beta = (t.data for t in self.inputs)
        s = self.s
        ds = s * (1.0 - s)
        gx = gy * (s + beta * x * ds)
        return gx, sum_to(gy * x * x * ds, beta.shape)


class Swish(nn.Module):
    """x * sigmoid(beta * x), one learnable beta per feature."""

    def __init__(self, features):
        super().__init__()
        self.beta = nn.Parameter(np.ones(features))

    def forward(self, x):
        return SwishFn()(x, self.beta)


def test_swish_gradients():
    """The gradients of Swish agree with central differences."""
    rng = np.random.default_rng(0)
    module = Swish(3)
    module.beta.data[...] = rng.normal(size=3)      # not all ones
    x = mg.Tensor(rng.normal(size=(4, 3)), requires_grad=True,
                  dtype=np.float64)                 # both signs, float64
    # the parameter, with a random cotangent on the output
    assert mg.gradcheck_module(module, x)
    # the input
    assert mg.gradcheck(module, [x])
