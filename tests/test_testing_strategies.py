"""minigrad.testing.strategies: what they draw is what they promise, and our
own property tests of ops are written with them (indexing with any index
expression, binary ops on any broadcastable pair, unary ops on bounded
tensors), checked in the gradcheck mode that suits each."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.testing import assert_gradcheck
from minigrad.testing import strategies as mst

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    database=None)


@SETTINGS
@given(shape=mst.shapes(min_dims=1, max_dims=3, max_side=5))
def test_shapes_stay_in_their_bounds(shape):
    assert 1 <= len(shape) <= 3 and all(1 <= n <= 5 for n in shape)


@SETTINGS
@given(pair=mst.broadcastable_pairs())
def test_pairs_broadcast_together(pair):
    a, b = pair
    np.broadcast_shapes(a, b)  # raises if not


@SETTINGS
@given(data=st.data())
def test_broadcastable_shapes_broadcast_to_the_target(data):
    target = data.draw(mst.shapes())
    shape = data.draw(mst.broadcastable_shapes(target))
    assert np.broadcast_shapes(shape, target) == target


@SETTINGS
@given(x=mst.arrays(low=-2.0, high=0.5))
def test_arrays_are_float64_finite_and_bounded(x):
    assert x.dtype == np.float64 and np.all(np.isfinite(x))
    assert np.all((-2.0 <= x) & (x <= 0.5))


@SETTINGS
@given(t=mst.tensors(shape=(2, 3)))
def test_tensors_are_float64_leaves_that_require_grad(t):
    assert isinstance(t, mg.Tensor) and t.dtype == np.float64
    assert t.requires_grad and t.shape == (2, 3) and t.creator is None


def test_arrays_refuse_an_empty_range():
    with pytest.raises(ValueError, match="low=1 is above high=0"):
        mst.arrays(low=1, high=0)


@SETTINGS
@given(data=st.data())
def test_indexing_with_any_index_expression(data):
    shape = data.draw(mst.shapes(min_dims=1), label="shape")
    x = data.draw(mst.tensors(shape), label="x")
    index = data.draw(mst.index_expressions(shape), label="index")
    out = x[index]
    np.testing.assert_array_equal(out.data, x.data[index])
    if out.size:  # repeats in integer-array indices must accumulate
        assert_gradcheck(lambda t: t[index], [x])


BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b,
          "mul": lambda a, b: a * b, "div": lambda a, b: a / (b * b + 1.0),
          "maximum": mg.maximum, "minimum": mg.minimum}


@SETTINGS
@given(data=st.data(), op=st.sampled_from(sorted(BINARY)))
def test_binary_ops_on_any_broadcastable_pair(data, op):
    sa, sb = data.draw(mst.broadcastable_pairs(), label="shapes")
    a, b = data.draw(mst.tensors(sa)), data.draw(mst.tensors(sb))
    assert_gradcheck(BINARY[op], [a, b], samples=4)  # kinks: ties skipped


UNARY = {"exp": mg.exp, "tanh": mg.tanh, "sigmoid": mg.sigmoid,
         "relu": mg.relu, "abs": mg.abs, "log": lambda t: mg.log(t * t + 1.0),
         "sqrt": lambda t: mg.sqrt(t * t + 0.5), "square": lambda t: t ** 2}


@SETTINGS
@given(x=mst.tensors(mst.shapes(max_dims=4, max_side=6)),
       op=st.sampled_from(sorted(UNARY)))
def test_unary_ops_on_bounded_tensors(x, op):
    assert_gradcheck(UNARY[op], [x], fast=True)
