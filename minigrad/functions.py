"""The functional API: ``mg.exp(x)``, ``mg.concatenate([a, b])`` ...

Each function turns its arguments into Tensors and calls one op (a Function
subclass from ``ops_math`` or ``ops_shape``, where the math lives). The Tensor
operators and methods call these too, so ``x + 1``, ``mg.add(x, 1)`` and
``x.exp()`` all go through the same code.

Python numbers (and np.float64 scalars) mixed with a float tensor take the
tensor's dtype (``x * 2`` stays float32); NumPy arrays keep theirs and promote
as in NumPy (float32 with float64 gives float64). Anything that is not a
Tensor, NumPy array, number or list raises TypeError.
"""
import builtins
import numbers

import numpy as np

from . import config
from .backward import grad, run_backward  # noqa: F401 (Tensor.backward, mg.grad)
from .ops_math import (
    Abs, Add, Cast, Clip, Div, Exp, Log, Maximum, Minimum, Mul, Neg, Pow,
    ReLU, Sigmoid, Sqrt, Sub, Tanh, Where, sum_to,
)
from .ops_matmul import MatMul
from .ops_shape import (
    Concatenate, GetItem, Max, Mean, Min, Reshape, Stack, Sum, Transpose,
)
from .tensor import Tensor, _check_dtype

__all__ = [
    "add", "sub", "mul", "div", "neg", "pow", "matmul", "exp", "log", "sqrt",
    "abs", "astype", "tanh", "sigmoid", "relu", "sum", "mean", "max", "min", "reshape",
    "transpose", "getitem", "clip", "concatenate", "stack", "where",
    "maximum", "minimum", "as_tensor", "sum_to",
]


def as_tensor(value, like=None, op="minigrad"):
    """``value`` as a Tensor (no copy for Tensors and NumPy arrays).

    A Python number takes the dtype of ``like`` when that is a float tensor,
    else the default dtype, so constants never change a tensor's precision.
    """
    if isinstance(value, Tensor):
        return value
    kind = type(value)
    if kind is float or kind is int or kind is bool:
        if like is not None and like.data.dtype.kind == "f":
            return Tensor._wrap(np.asarray(value, like.data.dtype))
        if kind is int and like is not None:
            return Tensor._wrap(np.asarray(value))  # int with int stays int
        return Tensor._wrap(np.asarray(value, config.get_default_dtype()))
    if isinstance(value, np.ndarray):
        _check_dtype(value.dtype)
        return Tensor._wrap(value)
    if isinstance(value, float) and like is not None and like.data.dtype.kind == "f":
        # np.float64 is a Python float: a constant, so it keeps x's precision
        return Tensor._wrap(np.asarray(value, like.data.dtype))
    if isinstance(value, (np.generic, numbers.Number, list, tuple)):
        return Tensor(value)
    raise TypeError(
        f"{op}: unsupported operand type {type(value).__name__!r} (expected a "
        f"Tensor, NumPy array, number or list)"
    )


def _floating(x):
    """x itself, or for integer/bool data a default-dtype copy, so that e.g.
    exp of an int tensor is float32 (NumPy would give float16 for int8)."""
    if x.data.dtype.kind == "f":
        return x
    return Tensor._wrap(x.data.astype(config.get_default_dtype()))


def _pair(a, b, op):
    """Both operands as Tensors; a number takes the other operand's dtype."""
    if isinstance(b, Tensor) and isinstance(a, Tensor):  # the usual case
        return a, b
    if isinstance(a, Tensor):
        return a, as_tensor(b, a, op)
    b = as_tensor(b, None, op)
    return as_tensor(a, b, op), b


# ---- arithmetic (ops_math) ----------------------------------------------
def add(a, b):
    """``a + b``, broadcasting as NumPy does."""
    return Add()(*_pair(a, b, 'add'))


def sub(a, b):
    """``a - b``, broadcasting as NumPy does."""
    return Sub()(*_pair(a, b, 'sub'))


def mul(a, b):
    """``a * b`` elementwise, broadcasting as NumPy does."""
    return Mul()(*_pair(a, b, 'mul'))


def div(a, b):
    """``a / b`` elementwise, broadcasting as NumPy does."""
    return Div()(*_pair(a, b, 'div'))


def pow(a, b):
    """``a ** b`` elementwise; the gradient w.r.t. ``b`` is 0 where a <= 0."""
    return Pow()(*_pair(a, b, 'pow'))


def matmul(a, b):
    """``a @ b``, with NumPy's rules for 1-d and batched operands."""
    return MatMul()(*_pair(a, b, 'matmul'))


def neg(x):
    """``-x``."""
    return Neg()(as_tensor(x))


def astype(x, dtype):
    """x converted to float32/float64 (differentiable; integers for no grad)."""
    x = as_tensor(x)
    try:
        dtype = _check_dtype(np.dtype(dtype))
    except TypeError:
        raise TypeError(f"astype: unsupported dtype {dtype!r}") from None
    if dtype.kind != "f":
        return Tensor._wrap(x.data.astype(dtype))  # integers carry no gradient
    return Cast(dtype)(x)


def exp(x):
    """``e ** x`` elementwise."""
    return Exp()(_floating(as_tensor(x)))


def log(x):
    """Natural logarithm, elementwise."""
    return Log()(_floating(as_tensor(x)))


def sqrt(x):
    """Square root, elementwise."""
    return Sqrt()(_floating(as_tensor(x)))


def abs(x):
    """``|x|`` elementwise; the gradient at 0 is 0 (as PyTorch)."""
    return Abs()(as_tensor(x))


def tanh(x):
    """Hyperbolic tangent, elementwise."""
    return Tanh()(_floating(as_tensor(x)))


def sigmoid(x):
    """``1 / (1 + exp(-x))`` elementwise, stable for large ``|x|``."""
    return Sigmoid()(_floating(as_tensor(x)))


def relu(x):
    """``max(x, 0)`` elementwise; the gradient at 0 is 0 (as PyTorch)."""
    return ReLU()(as_tensor(x))


def clip(x, lo, hi):
    """Limit x to [lo, hi]; either bound may be None."""
    for bound_name, bound in (("lo", lo), ("hi", hi)):
        if bound is not None and not isinstance(bound, numbers.Real):
            raise TypeError(
                f"clip: {bound_name} must be a number or None, got {bound!r}"
            )
    if lo is None and hi is None:
        raise ValueError("clip needs at least one of lo and hi")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"clip: lo ({lo}) is greater than hi ({hi})")
    return Clip(lo, hi)(as_tensor(x))


def maximum(a, b):
    """Elementwise larger of ``a`` and ``b``; on a tie each gets half."""
    return Maximum()(*_pair(a, b, 'maximum'))


def minimum(a, b):
    """Elementwise smaller of ``a`` and ``b``; on a tie each gets half."""
    return Minimum()(*_pair(a, b, 'minimum'))


def where(cond, a, b):
    """Elementwise ``a if cond else b``; ``cond`` gets no gradient."""
    cond = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    if cond.dtype != bool:
        raise TypeError(f"where: cond must be boolean, got dtype {cond.dtype}")
    return Where(cond)(*_pair(a, b, "where"))


def compare(ufunc, a, b):
    """A boolean Tensor (no graph); NotImplemented for unsupported operands."""
    try:
        a, b = _pair(a, b, ufunc.__name__)
    except TypeError:
        return NotImplemented
    return Tensor._wrap(np.asarray(ufunc(a.data, b.data)))


# ---- reductions and shapes (ops_shape) -----------------------------------
def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (all axes if None)."""
    x = as_tensor(x)
    return Sum(axis, keepdims, x.ndim)(x)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (all axes if None)."""
    x = as_tensor(x)
    return Mean(axis, keepdims, x.ndim)(x)


def max(x, axis=None, keepdims=False):
    """Largest element(s); tied maxima share the gradient evenly."""
    x = as_tensor(x)
    return Max(axis, keepdims, x.ndim)(x)


def min(x, axis=None, keepdims=False):
    """Smallest element(s); tied minima share the gradient evenly."""
    x = as_tensor(x)
    return Min(axis, keepdims, x.ndim)(x)


def reshape(x, *shape):
    """``reshape(x, 2, 3)`` or ``reshape(x, (2, 3))``; one dim may be -1."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not builtins.all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape
    ):
        raise TypeError(f"reshape: shape must be ints, got {shape!r}")
    return Reshape(shape)(as_tensor(x))


def transpose(x, *axes):
    """Permute axes (``transpose(x)`` reverses them, like ``ndarray.T``)."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if len(axes) == 1 and axes[0] is None:  # ndarray.transpose(None) reverses
        axes = ()
    if not builtins.all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in axes
    ):
        raise TypeError(f"transpose: axes must be ints, got {axes!r}")
    x = as_tensor(x)
    if not axes:
        return Transpose(None)(x)
    # as non-negative axes: backward inverts the permutation by sorting them
    n = x.ndim
    normal = tuple(int(a) + n if a < 0 else int(a) for a in axes)
    if sorted(normal) != list(range(n)):
        raise ValueError(f"transpose on shapes {x.shape}: axes {axes} are not a "
                         f"permutation of its {n} axes")
    return Transpose(normal)(x)


_BASIC_PARTS = (int, np.integer, slice, type(None), type(Ellipsis))


def _index_part(part):
    """One part of an index as NumPy reads it: ints, slices, None and
    Ellipsis are basic; anything else (a list, a tuple inside the index
    tuple, an array, a bool) is an advanced index array."""
    if isinstance(part, Tensor):
        part = part.data
    if isinstance(part, _BASIC_PARTS) and not isinstance(part, (bool, np.bool_)):
        return part
    if not isinstance(part, np.ndarray):
        original = part
        try:
            part = np.asarray(part)
        except ValueError as err:  # ragged
            raise IndexError(f"cannot index with {part!r}: {err}") from None
        if part.dtype == object:  # not an index at all: NumPy's error says so
            return original
        if part.size == 0 and part.dtype.kind == "f":  # x[[]]: empty int index
            part = part.astype(np.intp)
    if part.dtype.kind not in "iub":
        raise IndexError(
            f"index arrays must be integer or boolean, got dtype {part.dtype}"
        )
    return part


def getitem(x, index):
    """``x[index]``: ints, slices, None, Ellipsis, integer or boolean arrays,
    and sequences (taken as integer/boolean arrays, as NumPy does)."""
    if isinstance(index, tuple):
        index = tuple(_index_part(p) for p in index)
    else:
        index = _index_part(index)
    return GetItem(index)(as_tensor(x))


def _sequence_of_tensors(ts, fname):
    if isinstance(ts, (Tensor, np.ndarray)) or not isinstance(ts, (list, tuple)):
        raise TypeError(
            f"{fname} takes a list or tuple of tensors, got {type(ts).__name__}"
        )
    if len(ts) == 0:
        raise ValueError(f"{fname} needs at least one tensor")
    return [as_tensor(t) for t in ts]


def concatenate(ts, axis=0):
    """Join tensors along an existing axis (shapes must agree elsewhere);
    ``axis=None`` joins them flattened, as NumPy does."""
    ts = _sequence_of_tensors(ts, "concatenate")
    if axis is None:
        ts, axis = [reshape(t, -1) for t in ts], 0
    return Concatenate(axis)(*ts)


def stack(ts, axis=0):
    """Join equally shaped tensors along a new axis."""
    ts = _sequence_of_tensors(ts, "stack")
    return Stack(axis)(*ts)
