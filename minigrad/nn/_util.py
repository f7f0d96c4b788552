"""Argument checks and array helpers shared by ``functional``, ``losses`` and
``normalization`` (kept apart so those files need not import each other)."""
import numbers

import numpy as np

from ..ops_math import broadcast_to
from ..tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def _tensor(x, name="input"):
    """``x`` as a float Tensor (arrays and numbers are wrapped, not tracked)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{name} must be a float tensor, got dtype {x.dtype}")
    return x


def _axis(axis, ndim):
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for a tensor with {ndim} "
                         f"dimensions")
    return int(axis) % ndim


def _reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got "
                         f"{reduction!r}")
    return reduction


def _like(target, x, name="target"):
    """``target`` as a Tensor of ``x``'s shape and float dtype."""
    if isinstance(target, Tensor) and target.requires_grad:
        if target.dtype != x.dtype:
            raise TypeError(f"{name} has dtype {target.dtype} but the input has "
                            f"{x.dtype}")
    else:
        array = np.asarray(getattr(target, "data", target))
        if array.dtype.kind not in "fiub":
            raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
        target = Tensor(array.astype(x.dtype))
    if target.shape != x.shape:
        raise ValueError(f"{name} has shape {target.shape} but the input has "
                         f"shape {x.shape}; they must match (no broadcasting)")
    return target


def _reduce(values, reduction):
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values


def _unreduce(gy, reduction, shape, dtype):
    """d(reduced)/d(values) * gy, broadcast back to the per-element shape."""
    if reduction == "mean":
        return broadcast_to(gy / np.prod(shape, dtype=dtype), shape)
    if reduction == "sum":
        return broadcast_to(gy, shape)  # arrays or Tensors (create_graph)
    return gy


def _logsumexp(x, axis):
    """Stable log-sum-exp along ``axis``, keeping the axis (size 1)."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # a row of -inf: avoid (-inf) - (-inf)
    return m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def _sigmoid(x):
    """Stable sigmoid: only ever exp of a non-positive number."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _check_size(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def _float_dtype(dtype):
    from ..config import get_default_dtype

    dt = np.dtype(get_default_dtype() if dtype is None else dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt
