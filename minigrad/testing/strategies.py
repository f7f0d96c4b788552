"""Hypothesis strategies for property tests of ops (needs ``hypothesis``).

A property test of an op in a few lines::

    from hypothesis import given
    from minigrad.testing import assert_gradcheck, strategies as mst

    @given(mst.tensors(shape=mst.shapes(min_dims=1)))
    def test_tanh_gradient(x):
        assert_gradcheck(lambda t: t.tanh(), [x])

* ``shapes``: array shapes (small sides, so gradchecks stay fast);
* ``broadcastable_shapes(shape)``: shapes that broadcast to ``shape``;
* ``broadcastable_pairs``: two shapes that broadcast together;
* ``arrays``: float64 arrays with bounded, finite values;
* ``tensors``: the same as float64 ``Tensor`` leaves (``requires_grad``);
* ``index_expressions(shape)``: what ``x[...]`` accepts: basic indices
  (ints, slices, ``None``, ``...``) and integer-array indices.

Everything is built from hypothesis' own strategies, so failing examples
shrink to small ones. Values are bounded (default [-3, 3]) because a
gradient check compares numbers whose size should stay moderate.
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..tensor import Tensor

__all__ = ["shapes", "broadcastable_shapes", "broadcastable_pairs", "arrays",
           "tensors", "index_expressions"]


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Array shapes with ``min_dims..max_dims`` axes of length
    ``min_side..max_side``."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                            min_side=min_side, max_side=max_side)


@st.composite
def broadcastable_shapes(draw, shape, min_dims=0):
    """A shape that broadcasts to ``shape`` (a shape or a strategy for one):
    some leading axes dropped, some axes set to 1."""
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    shape = tuple(shape)
    keep = draw(st.integers(min(min_dims, len(shape)), len(shape)))
    tail = shape[len(shape) - keep:]
    return tuple(1 if draw(st.booleans()) else n for n in tail)


@st.composite
def broadcastable_pairs(draw, min_dims=0, max_dims=3, max_side=4):
    """``(shape_a, shape_b)`` that broadcast together; either may be the
    smaller one, and each may have axes of length 1 where the other has
    more."""
    result = draw(shapes(min_dims=min_dims, max_dims=max_dims,
                         max_side=max_side))
    a = draw(broadcastable_shapes(result))
    b = draw(broadcastable_shapes(result))
    return (a, b) if draw(st.booleans()) else (b, a)


def _elements(low, high):
    return st.floats(min_value=low, max_value=high, allow_nan=False,
                     allow_infinity=False, allow_subnormal=False, width=64)


def arrays(shape=None, low=-3.0, high=3.0, dtype=np.float64):
    """Float arrays with values in [low, high] (finite, no NaN). ``shape``
    is a shape, a strategy for one, or None for ``shapes()``."""
    if low > high:
        raise ValueError(f"arrays: low={low} is above high={high}")
    shape = shapes() if shape is None else shape
    return hnp.arrays(dtype, shape, elements=_elements(low, high))


def tensors(shape=None, low=-3.0, high=3.0, requires_grad=True,
            dtype=np.float64):
    """``Tensor`` leaves holding ``arrays(shape, low, high)`` (float64 by
    default, as gradient checks need)."""
    return arrays(shape, low, high, dtype).map(
        lambda data: Tensor(data, requires_grad=requires_grad, dtype=dtype))


def index_expressions(shape, integer_arrays=True, allow_newaxis=True):
    """Index expressions valid for an array of ``shape``: basic indices
    (integers, slices with any step, ``None``, ``...``) and, with
    ``integer_arrays``, tuples of integer arrays (repeats included, which
    is where a scatter-add backward goes wrong)."""
    shape = tuple(shape)
    basic = hnp.basic_indices(shape, allow_newaxis=allow_newaxis,
                              allow_ellipsis=True)
    if not integer_arrays or not shape or 0 in shape:
        return basic
    fancy = hnp.integer_array_indices(
        shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2,
                                             max_side=4))
    return st.one_of(basic, fancy)
