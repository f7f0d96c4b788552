"""Regression tests for engine defects (each failed before its fix)."""
import numpy as np
import pytest

import minigrad as mg


def leaf(values, dtype=np.float64):
    return mg.Tensor(np.array(values, dtype=dtype), requires_grad=True)


# ---- retain_grad ----------------------------------------------------------
def test_retain_grad_keeps_a_non_leaf_gradient_and_accumulates():
    x = leaf([1.0, 2.0])
    y = x * x
    assert not y.retains_grad
    assert y.retain_grad() is y and y.retains_grad
    s = (y * 3.0).sum()
    s.backward(retain_graph=True)
    np.testing.assert_array_equal(y.grad, [3.0, 3.0])
    s.backward()
    np.testing.assert_array_equal(y.grad, [6.0, 6.0])   # accumulates
    np.testing.assert_array_equal(x.grad, [12.0, 24.0])
    assert y.grad.dtype == y.dtype and not x.retains_grad


def test_retain_grad_on_the_root_and_on_a_leaf():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum().retain_grad()
    loss.backward()
    assert loss.grad == 1.0
    x.retain_grad()  # a leaf keeps its grad anyway: nothing changes
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_retain_grad_refuses_a_tensor_without_grad():
    with mg.no_grad():
        y = leaf([1.0]) * 2.0
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.retain_grad()
