"""A leaf's ``.grad`` takes backward's fresh gradient array without a copy
when nothing else holds it, and copies it whenever something might
(minigrad/backward.py: ``_unshared``). A wrongly taken array would be
written by the next accumulation (``grad += g``) behind its other owner."""
import numpy as np

import minigrad as mg
from minigrad.autograd import Function

ADDRESSES = []  # addresses (ints) of arrays a backward made, not references
CONSTANT = np.full(3, 2.0)


class Fresh(Function):
    """y = 2x; backward returns a new array and records where it lives."""

    def forward(self, x):
        return 2 * x

    def backward(self, gy):
        g = 2 * gy
        ADDRESSES.append(g.ctypes.data)
        return g


class Constant(Function):
    """y = 2x; backward returns a module-level array (a user's shortcut)."""

    def forward(self, x):
        return 2 * x

    def backward(self, gy):
        return CONSTANT


def test_a_fresh_gradient_becomes_the_leafs_grad_without_a_copy():
    x = mg.Tensor(np.ones(3), requires_grad=True)
    ADDRESSES.clear()
    Fresh()(x).backward(np.ones(3))
    assert x.grad.ctypes.data == ADDRESSES[0]
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_a_linear_weight_gradient_is_taken_in_the_weights_layout(monkeypatch):
    from minigrad import backward

    taken = []
    decide = backward._unshared
    monkeypatch.setattr(backward, "_unshared",
                        lambda *a: taken.append(decide(*a)) or taken[-1])
    layer = mg.nn.Linear(5, 4)
    x = mg.Tensor(np.random.default_rng(0).standard_normal((3, 5), np.float32))
    layer(x).sum().backward()
    w = layer.weight
    assert taken == [True, True]  # weight and bias: no copy
    assert w.grad.flags.c_contiguous and w.grad.shape == w.data.shape
    np.testing.assert_allclose(w.grad, np.ones((4, 3)) @ x.data)


def test_x_at_w_transposed_gives_w_its_gradient_without_a_copy(monkeypatch):
    # matmul computes a transposed operand's gradient as (gy^T x)^T, so the
    # transpose's backward hands W a C-ordered view of a fresh array
    from minigrad import backward

    taken = []
    decide = backward._unshared
    monkeypatch.setattr(backward, "_unshared",
                        lambda *a: taken.append(decide(*a)) or taken[-1])
    w = mg.Tensor(np.ones((4, 5)), requires_grad=True)
    x = mg.Tensor(np.random.default_rng(0).standard_normal((3, 5)))
    (x @ w.T).sum().backward()
    assert taken == [True] and w.grad.flags.c_contiguous
    np.testing.assert_allclose(w.grad, np.ones((4, 3)) @ x.data)


def test_an_array_held_elsewhere_is_copied_and_never_written():
    x = mg.Tensor(np.ones(3), requires_grad=True)
    Constant()(x).backward(np.ones(3))
    assert x.grad is not CONSTANT
    Constant()(x).backward(np.ones(3))  # accumulates in place into x.grad
    x.grad += 1
    np.testing.assert_array_equal(CONSTANT, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(x.grad, [5.0, 5.0, 5.0])


def test_one_gradient_handed_to_two_leaves_gives_each_its_own_array():
    a = mg.Tensor(np.ones(3), requires_grad=True)
    b = mg.Tensor(np.ones(3), requires_grad=True)
    (a + b).backward(np.ones(3))  # add's backward hands gy to both
    assert not np.shares_memory(a.grad, b.grad)
    a.grad += 1
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])


def test_the_callers_grad_argument_is_never_taken():
    x = mg.Tensor(np.ones(3), requires_grad=True)
    seed = np.ones(3)
    x.backward(seed)  # backward on a leaf: the seed itself is the gradient
    (x * 1).backward(seed)  # x * 1: mul's backward may return gy * 1
    x.grad += 1
    np.testing.assert_array_equal(seed, [1.0, 1.0, 1.0])


def test_a_view_of_a_held_array_is_copied():
    held = np.arange(6.0).reshape(2, 3)

    class View(Function):
        def forward(self, x):
            return x.copy()

        def backward(self, gy):
            return held.T.T  # a view of an array the test still holds

    x = mg.Tensor(np.zeros((2, 3)), requires_grad=True)
    View()(x).backward(np.ones((2, 3)))
    x.grad += 1
    np.testing.assert_array_equal(held, np.arange(6.0).reshape(2, 3))


def test_under_create_graph_grad_does_not_share_the_graphs_gradient():
    x = mg.Tensor(np.ones(3), requires_grad=True)
    (x * x).sum().backward(create_graph=True)
    assert not np.shares_memory(x.grad, x.grad_tensor.data)
