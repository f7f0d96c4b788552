"""Gradient utilities: clipping by global norm (any p-norm) or by value."""
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


def _norm_type(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"norm_type must be a number or math.inf, got {value!r}")
    if math.isnan(value) or not value > 0:
        raise ValueError(f"norm_type must be > 0 (or math.inf), got {value}")
    return float(value)


def total_norm(grads, norm_type=2.0):
    """The ``norm_type``-norm of all ``grads`` taken as one long vector, in
    float64: ``(sum_i sum |g_i|^p)^(1/p)``, or ``max |g_i|`` for ``p = inf``."""
    p = _norm_type(norm_type)
    if not grads:
        return 0.0
    if p == math.inf:
        return max(float(np.max(np.abs(g), initial=0.0)) for g in grads)
    if p == 2.0:  # the common case, without a power per element
        return math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64)))
                             for g in grads))
    total = sum(float(np.sum(np.abs(g).astype(np.float64) ** p)) for g in grads)
    return total ** (1.0 / p)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0,
                    error_if_nonfinite=False):
    """Scale all gradients together so their global ``norm_type``-norm is at
    most ``max_norm``; return the norm they had before (a Python float).

        total = (sum over params of sum |grad|^p)^(1/p)   (p = inf: max |grad|)
        c = max_norm / (total + 1e-6)
        if c < 1:  grad *= c     (in place, every parameter)

    as ``torch.nn.utils.clip_grad_norm_`` (default ``p = 2``; any ``p > 0``
    or ``math.inf``). Parameters whose ``.grad`` is None are skipped. The norm
    is accumulated in float64. If ``total`` is NaN or Inf, the gradients are
    left untouched (or, with ``error_if_nonfinite=True``, a ``RuntimeError``
    is raised); PyTorch instead scales them, which turns every gradient into
    NaN.
    """
    params = _as_list(parameters)
    max_norm = _positive("max_norm", max_norm)
    grads = [p.grad for p in params if p.grad is not None]
    total = total_norm(grads, norm_type)
    if not math.isfinite(total):
        if error_if_nonfinite:
            raise RuntimeError(f"the total gradient norm is {total}; gradients "
                               "hold NaN or Inf, so they cannot be clipped")
        return total
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1:
        for g in grads:
            g *= g.dtype.type(coefficient)
    return total


def clip_grad_value_(parameters, clip_value):
    """Clip every gradient element to ``[-clip_value, clip_value]``, in place:
    ``grad = min(max(grad, -clip_value), clip_value)``, as
    ``torch.nn.utils.clip_grad_value_``."""
    params = _as_list(parameters)
    clip_value = _positive("clip_value", clip_value)
    for p in params:
        if p.grad is not None:
            np.clip(p.grad, -clip_value, clip_value, out=p.grad)
