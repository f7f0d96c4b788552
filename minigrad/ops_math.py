"""Elementwise ops and matmul: one small Function per op, forward and backward
side by side. Users call them through ``minigrad.functions`` and the Tensor
operators; each docstring gives the derivative the backward implements.

Notation: ``gy`` is dL/dy for the op's output y; backward returns dL/dx for
each input x. Binary ops broadcast like NumPy, so their backward sums the
gradient back to each input's shape with ``sum_to``. ``gy`` may be a
read-only view: backward methods never modify it in place.
"""
import numpy as np

from .autograd import Function


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
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    return g.sum(axis=axes).reshape(shape) if axes else g.reshape(shape)


class Add(Function):
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


class Sub(Function):
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


class Mul(Function):
    """y = a * b;  dy/da = b, dy/db = a."""

    label = "mul"

    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        ga = sum_to(gy * b.data, a.data.shape) if a.requires_grad else None
        gb = sum_to(gy * a.data, b.data.shape) if b.requires_grad else None
        return ga, gb


class Div(Function):
    """y = a / b;  dy/da = 1/b, dy/db = -a/b^2."""

    label = "div"

    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        ga = sum_to(gy / b.data, a.data.shape) if a.requires_grad else None
        gb = None
        if b.requires_grad:
            gb = sum_to(-gy * a.data / (b.data * b.data), b.data.shape)
        return ga, gb


class Neg(Function):
    """y = -x;  dy/dx = -1."""

    label = "neg"
    saves_inputs = False  # backward needs shapes only

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Pow(Function):
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
        a, b = self.inputs
        ga = gb = None
        if a.requires_grad:
            b_nonzero = np.where(b.data == 0, 1, b.data)  # a^(b-1) finite at b=0
            dy_da = np.where(b.data == 0, 0, b.data * a.data ** (b_nonzero - 1))
            ga = sum_to(gy * dy_da, a.data.shape)
        if b.requires_grad:
            positive = a.data > 0
            log_a = np.log(np.where(positive, a.data, 1))
            gb = sum_to(gy * (a.data**b.data) * log_a, b.data.shape)
        return ga, gb


class MatMul(Function):
    """y = a @ b (NumPy's matmul: 1-D operands, batched leading dims).

    For 2-D a (n, k), b (k, m): dL/da = gy @ b^T, dL/db = a^T @ gy. A 1-D
    operand is treated as a row (a) or column (b) vector and the extra axis
    removed again; batch dims that were broadcast are summed with sum_to.
    """

    label = "matmul"

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul needs tensors with at least 1 dim, got shapes "
                f"{a.shape} and {b.shape} (use * for scalars)"
            )
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(
                f"shapes {a.shape} and {b.shape} are not aligned: the left's "
                f"last dim ({a.shape[-1]}) must equal the right's "
                f"{'second-to-last' if b.ndim > 1 else 'only'} dim "
                f"({b.shape[-2 if b.ndim > 1 else 0]})"
            )
        return a @ b

    def backward(self, gy):
        a_t, b_t = self.inputs
        a, b = a_t.data, b_t.data
        if b.ndim == 1:  # b was a column: put its axis back in gy and b
            b, gy = b[:, None], gy[..., None]
        if a.ndim == 1:  # a was a row
            a, gy = a[None, :], gy[..., None, :]
        ga = gb = None
        if a_t.requires_grad:
            ga = gy @ np.swapaxes(b, -1, -2)
            if a_t.ndim == 1:
                ga = ga[..., 0, :]
            ga = sum_to(ga, a_t.data.shape)
        if b_t.requires_grad:
            gb = np.swapaxes(a, -1, -2) @ gy
            if b_t.ndim == 1:
                gb = gb[..., 0]
            gb = sum_to(gb, b_t.data.shape)
        return ga, gb


class Cast(Function):
    """y = x converted to another float dtype;  gx = gy converted back."""

    label = "cast"
    saves_inputs = False  # backward needs shapes only

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.inputs[0].data.dtype)


class Exp(Function):
    """y = e^x;  dy/dx = y."""

    label = "exp"
    saves_inputs = False  # backward reads the output y, saved by forward

    def forward(self, x):
        self.y = np.exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y


class Log(Function):
    """y = ln x;  dy/dx = 1/x."""

    label = "log"

    def forward(self, x):
        return np.log(x)

    def backward(self, gy):
        return gy / self.inputs[0].data


class Sqrt(Function):
    """y = sqrt(x);  dy/dx = 1 / (2 y)."""

    label = "sqrt"
    saves_inputs = False  # backward reads the output y, saved by forward

    def forward(self, x):
        self.y = np.sqrt(x)
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)


class Abs(Function):
    """y = |x|;  dy/dx = sign(x), taken as 0 at x = 0 (like PyTorch)."""

    label = "abs"

    def forward(self, x):
        return np.abs(x)

    def backward(self, gy):
        return gy * np.sign(self.inputs[0].data)


class Tanh(Function):
    """y = tanh x;  dy/dx = 1 - y^2."""

    label = "tanh"
    saves_inputs = False  # backward reads the output y, saved by forward

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)


class Sigmoid(Function):
    """y = 1 / (1 + e^-x);  dy/dx = y (1 - y).

    Computed as e^x / (1 + e^x) for x < 0 so that e^-x never overflows.
    """

    label = "sigmoid"
    saves_inputs = False  # backward reads the output y, saved by forward

    def forward(self, x):
        e = np.exp(-np.abs(x))  # in (0, 1]: no overflow for any x
        self.y = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.y

    def backward(self, gy):
        return gy * self.y * (1 - self.y)


class ReLU(Function):
    """y = max(x, 0);  dy/dx = 1 for x > 0, else 0 (0 at x = 0, like PyTorch)."""

    label = "relu"

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, gy):
        return gy * (self.inputs[0].data > 0)


class Clip(Function):
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


class Maximum(Function):
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
        ga = sum_to(gy * a_share, a.data.shape) if a.requires_grad else None
        gb = sum_to(gy * (1 - a_share), b.data.shape) if b.requires_grad else None
        return ga, gb


class Minimum(Maximum):
    """y = min(a, b) elementwise; ties split evenly (see Maximum)."""

    label = "minimum"
    pick = staticmethod(np.minimum)
    greater = staticmethod(np.less)


class Where(Function):
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
            ga = sum_to(np.where(self.cond, gy, 0), a.data.shape)
        if b.requires_grad:
            gb = sum_to(np.where(self.cond, 0, gy), b.data.shape)
        return ga, gb
