"""Gradient checking: compare backward's gradients with central differences.

For a function f of tensors x_1..x_n and a random cotangent v (same shape as
f's output) the quantity checked is the scalar L = sum(f(x) * v):

* analytic:  dL/dx_i from ``backward(v)``;
* numerical: (L(x + eps e_j) - L(x - eps e_j)) / (2 eps) for every element j
  (or k sampled elements with ``samples=k``, or along random unit directions
  with ``fast=True``).

A random v (rather than all ones) matters: with ones, an op whose backward
sums or permutes gy wrongly can still pass. Inputs must be float64, because
in float32 the rounding error of L is comparable to the differences.

    >>> import numpy as np, minigrad as mg
    >>> x = mg.Tensor(np.random.rand(3, 4), requires_grad=True, dtype=np.float64)
    >>> mg.gradcheck(lambda x: (x * x).sum(axis=1), [x])
    True

The code lives in ``minigrad.testing`` (with ``check_backward`` for plain
NumPy code, the ``assert_*`` helpers and hypothesis strategies); this module
keeps the names ``mg.gradcheck`` and friends have always come from.
"""
from .testing._gradcheck import gradcheck, gradcheck_module, numerical_grad
from .testing._report import GradcheckError

__all__ = ["gradcheck", "numerical_grad", "gradcheck_module", "GradcheckError"]
