"""Gradient utilities: clipping by global norm or by value."""
import math
import numbers

import numpy as np

from ..tensor import Tensor


def _as_list(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    if isinstance(parameters, (set, frozenset)):
        raise TypeError("parameters must be an ordered iterable (list, generator),"
                        " not a set")
    try:
        params = list(parameters)
    except TypeError:
        raise TypeError(f"parameters must be a Tensor or an iterable of Tensors, "
                        f"got {type(parameters).__name__}") from None
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"parameters[{i}] is {type(p).__name__}, not a Tensor")
    return params


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be finite and > 0, got {value}")
    return float(value)


def clip_grad_norm_(parameters, max_norm, error_if_nonfinite=False):
    """Scale all gradients together so their global L2 norm is at most
    ``max_norm``; return the norm they had before (a Python float).

        total = sqrt(sum over params of sum(grad^2))
        if total > max_norm:  grad *= max_norm / (total + 1e-6)   (in place)

    Parameters whose ``.grad`` is None are skipped. The norm is accumulated in
    float64. If ``total`` is NaN or Inf, the gradients are left untouched (or,
    with ``error_if_nonfinite=True``, a ``RuntimeError`` is raised); PyTorch
    instead scales them, which turns every gradient into NaN.
    """
    params = _as_list(parameters)
    max_norm = _positive("max_norm", max_norm)
    grads = [p.grad for p in params if p.grad is not None]
    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64)))
                          for g in grads))
    if not math.isfinite(total):
        if error_if_nonfinite:
            raise RuntimeError(f"the total gradient norm is {total}; gradients "
                               "hold NaN or Inf, so they cannot be clipped")
        return total
    if total > max_norm:
        coefficient = max_norm / (total + 1e-6)
        for g in grads:
            g *= g.dtype.type(coefficient)
    return total


def clip_grad_value_(parameters, clip_value):
    """Clip every gradient element to ``[-clip_value, clip_value]``, in place."""
    params = _as_list(parameters)
    clip_value = _positive("clip_value", clip_value)
    for p in params:
        if p.grad is not None:
            np.clip(p.grad, -clip_value, clip_value, out=p.grad)
