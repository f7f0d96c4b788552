"""Reductions, reshaping, indexing and joining: one Function per op.

These ops move or combine elements without arithmetic between them, so each
backward routes ``gy`` back to where the elements came from: a reduction
spreads it over the reduced axes, an index scatters it (adding where an index
repeats), a join splits it.
"""
import numpy as np

from .autograd import Function


def normalize_axis(axis, ndim):
    """``axis`` (None, an int or a tuple of ints, negatives allowed) as a
    sorted tuple of non-negative axes; None means all axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    result = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:  # a 0-d tensor has no axis at all
            raise ValueError(
                f"axis {a} is out of range for a tensor with {ndim} dims"
            )
        result.append(int(a) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"repeated axis in {axis!r}")
    return tuple(sorted(result))


class _Reduction(Function):
    """Shared by sum/mean/max/min: reduce over ``axes``, maybe keep dims."""

    def __init__(self, axis, keepdims, ndim):
        self.axes = normalize_axis(axis, ndim)
        self.keepdims = bool(keepdims)

    def expand(self, gy):
        """gy with the reduced axes put back as length-1 axes."""
        return gy if self.keepdims else np.expand_dims(gy, self.axes)


class Sum(_Reduction):
    """y = sum of x over axes;  dy/dx = 1 for every summed element."""

    label = "sum"
    saves_inputs = False  # backward needs shapes only

    def forward(self, x):
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        return np.broadcast_to(self.expand(gy), self.inputs[0].data.shape)


class Mean(_Reduction):
    """y = mean of x over axes (n elements);  dy/dx = 1/n."""

    label = "mean"
    saves_inputs = False  # backward needs shapes only

    def forward(self, x):
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0].data
        n = int(np.prod([x.shape[a] for a in self.axes]))  # elements averaged
        return np.broadcast_to(self.expand(gy) / n, x.shape)


class Max(_Reduction):
    """y = max of x over axes;  dy/dx = 1 at the maximum, 0 elsewhere.

    When several elements tie for the maximum the gradient is split evenly
    between them (PyTorch's ``amax`` does the same; ``torch.max(dim)`` gives
    it all to one). A subgradient either way; the even split is symmetric.
    """

    label = "max"
    reduce = staticmethod(np.max)

    def forward(self, x):
        self.y = self.reduce(x, axis=self.axes, keepdims=True)
        return self.y if self.keepdims else self.y.reshape(
            [n for i, n in enumerate(x.shape) if i not in self.axes]
        )

    def backward(self, gy):
        winners = self.inputs[0].data == self.y
        share = winners / winners.sum(axis=self.axes, keepdims=True)
        return (self.expand(gy) * share).astype(gy.dtype, copy=False)


class Min(Max):
    """y = min of x over axes; ties split evenly (see Max)."""

    label = "min"
    reduce = staticmethod(np.min)


class Reshape(Function):
    """y = x with a new shape (same elements, same order);  gx = gy reshaped back."""

    label = "reshape"
    saves_inputs = False  # backward needs shapes only
    is_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.inputs[0].data.shape)


class Transpose(Function):
    """y = x with axes permuted;  gx = gy permuted back (inverse permutation)."""

    label = "transpose"
    saves_inputs = False  # backward needs shapes only
    is_view = True

    def __init__(self, axes):
        self.axes = axes  # None: reverse all axes

    def forward(self, x):
        return np.transpose(x, self.axes)

    def backward(self, gy):
        if self.axes is None:
            return np.transpose(gy)
        return np.transpose(gy, np.argsort(self.axes))


class GetItem(Function):
    """y = x[index] (NumPy basic or integer-array indexing).

    gx is zero except at the picked positions, which receive gy. With
    integer arrays an element can be picked several times; its gradient is
    then the sum over the picks (``np.add.at`` adds repeats, whereas
    ``gx[index] = gy`` would keep only the last).
    """

    label = "getitem"
    saves_inputs = False  # backward needs shapes only

    def __init__(self, index):
        self.index = index
        parts = index if isinstance(index, tuple) else (index,)
        # functions.getitem turned every advanced part into an ndarray
        self.advanced = any(isinstance(p, np.ndarray) for p in parts)
        self.is_view = not self.advanced  # basic indexing returns a view

    def forward(self, x):
        return x[self.index]

    def backward(self, gy):
        x = self.inputs[0].data
        gx = np.zeros(x.shape, dtype=gy.dtype)
        if self.advanced:
            np.add.at(gx, self.index, gy)
        else:  # basic indexing never picks an element twice
            gx[self.index] = gy
        return gx


class Concatenate(Function):
    """y = inputs joined along an existing axis;  gx_i = gy's slice for x_i."""

    label = "concatenate"
    saves_inputs = False  # backward needs shapes only

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return np.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        ends = np.cumsum([t.data.shape[self.axis] for t in self.inputs])[:-1]
        return tuple(np.split(gy, ends, axis=self.axis))


class Stack(Function):
    """y = inputs joined along a new axis;  gx_i = gy[..., i, ...] on that axis."""

    label = "stack"
    saves_inputs = False  # backward needs shapes only

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return np.stack(xs, axis=self.axis)

    def backward(self, gy):
        return tuple(
            np.take(gy, i, axis=self.axis) for i in range(len(self.inputs))
        )
