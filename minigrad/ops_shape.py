"""Reductions, reshaping, indexing and joining: one Function per op.

These ops move or combine elements without arithmetic between them, so each
backward routes ``gy`` back to where the elements came from: a reduction
spreads it over the reduced axes, an index scatters it (adding where an index
repeats), a join splits it.
"""
import numpy as np

from .ops_math import Op, broadcast_to
from .tensor import Tensor


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


class _Reduction(Op):
    """Shared by sum/mean/max/min: reduce over ``axes``, maybe keep dims."""

    def __init__(self, axis, keepdims, ndim):
        self.axes = normalize_axis(axis, ndim)
        self.keepdims = bool(keepdims)

    def expand(self, gy):
        """gy with the reduced axes put back as length-1 axes."""
        if self.keepdims:
            return gy
        shape = self.args[0].shape
        return gy.reshape(tuple(1 if i in self.axes else n
                                for i, n in enumerate(shape)))


class Sum(_Reduction):
    """y = sum of x over axes;  dy/dx = 1 for every summed element."""

    label = "sum"
    saves_inputs = False  # backward needs shapes only

    def forward(self, x):
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        return broadcast_to(self.expand(gy), self.args[0].shape)


class Mean(_Reduction):
    """y = mean of x over axes (n elements);  dy/dx = 1/n."""

    label = "mean"
    saves_inputs = False  # backward needs shapes only

    def forward(self, x):
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        shape = self.args[0].shape
        n = int(np.prod([shape[a] for a in self.axes]))  # elements averaged
        return broadcast_to(self.expand(gy) / n, shape)


class Max(_Reduction):
    """y = max of x over axes;  dy/dx = 1 at the maximum, 0 elsewhere.

    When several elements tie for the maximum the gradient is split evenly
    between them (PyTorch's ``amax`` does the same; ``torch.max(dim)`` gives
    it all to one). A subgradient either way; the even split is symmetric.
    """

    label = "max"
    reduce = staticmethod(np.max)

    def forward(self, x):
        self.y = self.reduce(x, axis=self.axes, keepdims=True)  # for the mask
        return self.y if self.keepdims else self.y.reshape(
            [n for i, n in enumerate(x.shape) if i not in self.axes]
        )

    def backward(self, gy):
        winners = self.inputs[0].data == self.y  # a constant mask
        share = winners / winners.sum(axis=self.axes, keepdims=True)
        return self.expand(gy) * share.astype(gy.dtype, copy=False)


class Min(Max):
    """y = min of x over axes; ties split evenly (see Max)."""

    label = "min"
    reduce = staticmethod(np.min)


class Reshape(Op):
    """y = x with a new shape (same elements, same order);  gx = gy reshaped back."""

    label = "reshape"
    saves_inputs = False  # backward needs shapes only
    is_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.args[0].shape)


class Transpose(Op):
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
            return gy.transpose()
        axes = self.axes
        return gy.transpose(tuple(sorted(range(len(axes)), key=axes.__getitem__)))


class GetItem(Op):
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
        return scatter(gy, self.index, self.advanced, self.args[0].shape)


def scatter(g, index, advanced, shape):
    """Zeros of ``shape`` with ``g`` added at ``index``: GetItem's adjoint,
    for arrays and Tensors."""
    if isinstance(g, Tensor):
        return Scatter(index, advanced, shape)(g)
    gx = np.zeros(shape, dtype=g.dtype)
    if advanced:
        np.add.at(gx, index, g)
    else:  # basic indexing never picks an element twice
        gx[index] = g
    return gx


class Scatter(Op):
    """y = zeros(shape) with x added at ``index``;  gx = gy[index]."""

    label = "scatter"
    saves_inputs = False  # backward needs the index only

    def __init__(self, index, advanced, shape):
        self.index, self.advanced, self.shape = index, advanced, shape

    def forward(self, x):
        return scatter(x, self.index, self.advanced, self.shape)

    def backward(self, gy):
        return gy[self.index]


class Concatenate(Op):
    """y = inputs joined along an existing axis;  gx_i = gy's slice for x_i."""

    label = "concatenate"
    saves_inputs = False  # backward needs shapes only

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return np.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        axis = self.axis % gy.ndim
        ends = np.cumsum([x.shape[axis] for x in self.args])
        lead = (slice(None),) * axis  # gy[lead + (k,)] indexes along axis
        return tuple(gy[lead + (slice(end - x.shape[axis], end),)]
                     for x, end in zip(self.args, ends.tolist()))


class Stack(Op):
    """y = inputs joined along a new axis;  gx_i = gy[..., i, ...] on that axis."""

    label = "stack"
    saves_inputs = False  # backward needs shapes only

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return np.stack(xs, axis=self.axis)

    def backward(self, gy):
        lead = (slice(None),) * (self.axis % gy.ndim)
        return tuple(gy[lead + (i,)] for i in range(len(self.inputs)))
