"""Elementwise ops: one small Function per op, forward and backward
side by side. Users call them through ``minigrad.functions`` and the Tensor
operators; each docstring gives the derivative the backward implements.

Notation: ``gy`` is dL/dy for the op's output y; backward returns dL/dx for
each input x. Binary ops broadcast like NumPy, so their backward sums the
gradient back to each input's shape with ``sum_to``. ``gy`` may be a
read-only view: backward methods never modify it in place.

Every backward reads the op's values as ``self.args`` (inputs) and
``self.out`` (output) and uses only operators, methods and the helpers
below that NumPy arrays and Tensors share; masks of where a kink lies are
constants, taken from ``.data``. So the one backward runs on arrays in a
first-order backward and on Tensors under ``create_graph=True`` (where
its own arithmetic is recorded, giving second derivatives).
"""
import numpy as np

from .autograd import Function
from .tensor import Tensor


class Op(Function):
    """A built-in op: its backward can be recorded (see the module doc)."""

    differentiable_backward = True
    trusted_shapes = True  # tests/test_differential_ops.py pins every shape

    def release(self):
        """Only mark it freed: what a built-in op saves is its inputs' and
        output's arrays, which the graph's tensors hold anyway."""
        self.freed = True


def sum_to(g, shape):
    """Sum ``g`` down to ``shape``: the adjoint of broadcasting ``shape`` to g.

    Broadcasting copies an input along new leading axes and along axes of
    length 1; the gradient of a copy is the sum of the copies' gradients.
    Every backward that may have broadcast calls this one helper.

    >>> sum_to(np.ones((2, 3, 4)), (3, 1)).tolist()
    [[8.0], [8.0], [8.0]]
    """
    if g.shape == shape:
        return g
    if isinstance(g, Tensor):
        return SumTo(shape)(g)
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    return g.sum(axis=axes).reshape(shape) if axes else g.reshape(shape)


def broadcast_to(g, shape):
    """``np.broadcast_to`` for arrays and Tensors (sum_to's adjoint)."""
    if g.shape == shape:
        return g
    if isinstance(g, Tensor):
        return BroadcastTo(shape)(g)
    return np.broadcast_to(g, shape)


def where(cond, a, b):
    """``np.where(cond, a, b)`` for arrays and Tensors; ``cond`` is constant."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):  # a number as a constant
        dtype = (a if isinstance(a, Tensor) else b).dtype
        a, b = (v if isinstance(v, Tensor) else Tensor._wrap(np.asarray(v, dtype))
                for v in (a, b))
        return Where(cond)(a, b)
    return np.where(cond, a, b)


def log(x):
    """``np.log`` for arrays and Tensors."""
    return Log()(x) if isinstance(x, Tensor) else np.log(x)


class SumTo(Op):
    """y = x summed down to ``shape`` (undoes broadcasting);  gx = gy broadcast."""

    label = "sum_to"
    saves_inputs = False  # backward needs shapes only

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return sum_to(x, self.shape)

    def backward(self, gy):
        return broadcast_to(gy, self.args[0].shape)


class BroadcastTo(Op):
    """y = x broadcast to ``shape``;  gx = gy summed back (sum_to)."""

    label = "broadcast_to"
    saves_inputs = False  # backward needs shapes only

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return np.broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.args[0].shape)


class Add(Op):
    """y = a + b;  dy/da = 1, dy/db = 1."""

    label = "add"
    saves_inputs = False  # backward needs shapes only

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        a, b = self.inputs
        ga = sum_to(gy, a.data.shape) if a.requires_grad else None
        gb = sum_to(gy, b.data.shape) if b.requires_grad else None
        return ga, gb


class Sub(Op):
    """y = a - b;  dy/da = 1, dy/db = -1."""

    label = "sub"
    saves_inputs = False  # backward needs shapes only

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        ga = sum_to(gy, a.data.shape) if a.requires_grad else None
        gb = sum_to(-gy, b.data.shape) if b.requires_grad else None
        return ga, gb


class Mul(Op):
    """y = a * b;  dy/da = b, dy/db = a."""

    label = "mul"

    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        (a, b), (a_t, b_t) = self.args, self.inputs
        ga = sum_to(gy * b, a.shape) if a_t.requires_grad else None
        gb = sum_to(gy * a, b.shape) if b_t.requires_grad else None
        return ga, gb


class Div(Op):
    """y = a / b;  dy/da = 1/b, dy/db = -a/b^2."""

    label = "div"

    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        (a, b), (a_t, b_t) = self.args, self.inputs
        ga = sum_to(gy / b, a.shape) if a_t.requires_grad else None
        gb = sum_to(-gy * a / (b * b), b.shape) if b_t.requires_grad else None
        return ga, gb


class Neg(Op):
    """y = -x;  dy/dx = -1."""

    label = "neg"
    saves_inputs = False  # backward needs shapes only

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Pow(Op):
    """y = a ** b;  dy/da = b a^(b-1), dy/db = y log(a).

    dy/da is 0 where b = 0 (y = 1 is constant there; b a^(b-1) would be
    0 * inf = NaN at a = 0), as in PyTorch. dy/db is taken as 0 where a <= 0
    (log a is undefined there; for a = 0 and b > 0 the true derivative is
    0). PyTorch gives NaN for a < 0.
    """

    label = "pow"

    def forward(self, a, b):
        return a**b

    def backward(self, gy):
        (a, b), (a_t, b_t), y = self.args, self.inputs, self.out
        ga = gb = None
        if a_t.requires_grad:
            b_is_0 = b_t.data == 0
            if b_is_0.any():  # 0 there, not 0 * a^-1 = NaN at a = 0 (as torch)
                dy_da = where(b_is_0, 0, b * a ** (where(b_is_0, 1, b) - 1))
            else:
                dy_da = b * a ** (b - 1)
            ga = sum_to(gy * dy_da, a.shape)
        if b_t.requires_grad:
            positive = a_t.data > 0
            gb = sum_to(gy * y * log(where(positive, a, 1)), b.shape)
        return ga, gb


class Cast(Op):
    """y = x converted to another float dtype;  gx = gy converted back."""

    label = "cast"
    saves_inputs = False  # backward needs shapes only

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.inputs[0].data.dtype)


class Exp(Op):
    """y = e^x;  dy/dx = y."""

    label = "exp"
    saves_inputs = False  # backward reads the output y, saved by forward

    def forward(self, x):
        return np.exp(x)

    def backward(self, gy):
        return gy * self.out


class Log(Op):
    """y = ln x;  dy/dx = 1/x."""

    label = "log"

    def forward(self, x):
        return np.log(x)

    def backward(self, gy):
        return gy / self.args[0]


class Sqrt(Op):
    """y = sqrt(x);  dy/dx = 1 / (2 y)."""

    label = "sqrt"
    saves_inputs = False  # backward reads the output y, saved by forward

    def forward(self, x):
        return np.sqrt(x)

    def backward(self, gy):
        return gy / (2 * self.out)


class Abs(Op):
    """y = |x|;  dy/dx = sign(x), taken as 0 at x = 0 (like PyTorch)."""

    label = "abs"

    def forward(self, x):
        return np.abs(x)

    def backward(self, gy):
        return gy * np.sign(self.inputs[0].data)


class Tanh(Op):
    """y = tanh x;  dy/dx = 1 - y^2."""

    label = "tanh"
    saves_inputs = False  # backward reads the output y, saved by forward

    def forward(self, x):
        return np.tanh(x)

    def backward(self, gy):
        y = self.out
        return gy * (1 - y * y)


class Sigmoid(Op):
    """y = 1 / (1 + e^-x);  dy/dx = y (1 - y).

    Computed as e^x / (1 + e^x) for x < 0 so that e^-x never overflows.
    """

    label = "sigmoid"
    saves_inputs = False  # backward reads the output y, saved by forward

    def forward(self, x):
        e = np.exp(-np.abs(x))  # in (0, 1]: no overflow for any x
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, gy):
        y = self.out
        return gy * y * (1 - y)


class ReLU(Op):
    """y = max(x, 0);  dy/dx = 1 for x > 0, else 0 (0 at x = 0, like PyTorch)."""

    label = "relu"

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, gy):
        return gy * (self.inputs[0].data > 0)


class Clip(Op):
    """y = min(max(x, lo), hi);  dy/dx = 1 where lo <= x <= hi, else 0.

    ``lo`` or ``hi`` may be None (no bound). At a bound the gradient is 1,
    as in PyTorch's clamp.
    """

    label = "clip"

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        return np.clip(x, self.lo, self.hi)

    def backward(self, gy):
        x = self.inputs[0].data
        inside = np.ones(x.shape, dtype=bool)
        if self.lo is not None:
            inside &= x >= self.lo
        if self.hi is not None:
            inside &= x <= self.hi
        return gy * inside


class Maximum(Op):
    """y = max(a, b) elementwise; the gradient goes to the larger input.

    Where a == b it is split evenly (half each), the same convention as the
    max/min reductions; this keeps gradcheck's central differences happy.
    """

    label = "maximum"
    pick = staticmethod(np.maximum)
    greater = staticmethod(np.greater)

    def forward(self, a, b):
        return self.pick(a, b)

    def backward(self, gy):
        a, b = self.inputs
        a_share = self.greater(a.data, b.data) + 0.5 * (a.data == b.data)
        a_share = a_share.astype(gy.dtype, copy=False)  # not float64 for f32
        ga = sum_to(gy * a_share, a.shape) if a.requires_grad else None
        gb = sum_to(gy * (1 - a_share), b.shape) if b.requires_grad else None
        return ga, gb


class Minimum(Maximum):
    """y = min(a, b) elementwise; ties split evenly (see Maximum)."""

    label = "minimum"
    pick = staticmethod(np.minimum)
    greater = staticmethod(np.less)


class Where(Op):
    """y = a where cond else b;  dy/da = cond, dy/db = not cond.

    ``cond`` is a boolean array, a constant of the op (no gradient).
    """

    label = "where"
    saves_inputs = False  # backward needs shapes only

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        return np.where(self.cond, a, b)

    def backward(self, gy):
        a, b = self.inputs
        ga = gb = None
        if a.requires_grad:
            ga = sum_to(where(self.cond, gy, 0), a.shape)
        if b.requires_grad:
            gb = sum_to(where(self.cond, 0, gy), b.shape)
        return ga, gb
