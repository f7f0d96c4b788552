"""The backward pass: accumulation, retain_graph, freeing, no_grad, detach,
deep graphs and the errors a user can trigger."""
import gc
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function
from minigrad.backward import _topological_order


def leaf(values, dtype=np.float64):
    return mg.Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 3.0)


def test_first_grad_is_a_fresh_array_and_later_ones_add_in_place():
    x = leaf([1.0, 2.0])
    gy = np.array([5.0, 7.0])
    (x * 1.0).backward(gy)
    first = x.grad
    assert not np.shares_memory(first, gy)
    (x * 1.0).backward(gy)
    assert x.grad is first  # an optimizer holding x.grad sees the update
    np.testing.assert_allclose(first, 2 * gy)
    # a grad array allocated elsewhere keeps its identity too
    mine = np.zeros(2)
    x.grad = mine
    (x * 2.0).sum().backward()
    assert x.grad is mine
    np.testing.assert_allclose(mine, [2.0, 2.0])


def test_grad_of_a_used_twice_tensor_is_the_sum_of_both_paths():
    x = leaf([3.0])
    y = x * x  # used by two consumers below
    z = y * 2.0 + y.exp()
    z.backward()
    np.testing.assert_allclose(x.grad, (2.0 + np.exp(9.0)) * 2 * 3.0)


def test_shared_gradient_arrays_are_not_corrupted():
    # add's backward returns the same array for both inputs: accumulating
    # into one must not change the other
    a, b = leaf([1.0]), leaf([1.0])
    s = a + b
    (s + s).backward()
    np.testing.assert_allclose(a.grad, [2.0])
    np.testing.assert_allclose(b.grad, [2.0])


def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * 2 * x.data)


def test_graph_structure_survives_backward_for_drawing():
    x = leaf([1.0])
    y = mg.exp(x * 2.0)
    y.backward()
    assert y.creator.label == "exp"
    assert y.creator.inputs[0].creator.label == "mul"


def test_an_ops_output_starts_like_a_wrapped_array():
    # Function.__call__ builds its output inline (the hot path): it must set
    # every slot Tensor._wrap sets, to the same value
    y = mg.Tensor(np.ones(2)) * 2.0  # no input requires grad: nothing recorded
    fresh = mg.Tensor._wrap(y.data)
    for slot in mg.Tensor.__slots__:
        if slot != "__weakref__":
            assert getattr(y, slot) is getattr(fresh, slot), slot


def test_release_keeps_only_what_drawing_needs():
    class Square(Function):  # a user's op: it saves an array of its own
        def forward(self, x):
            self.twice = 2 * x
            return x * x

        def backward(self, gy):
            return gy * self.twice

    x = leaf([1.0, 2.0])
    with mg.detect_anomaly():
        y = Square()(x)
    fn = y.creator
    y.sum().backward()
    assert vars(fn) == {"inputs": (x,), "freed": True,
                        "created_at": fn.created_at}
    assert "test_autograd.py:" in fn.created_at  # where the user's code made it


def test_a_built_in_op_keeps_only_arrays_the_graph_holds_anyway():
    x = leaf([1.0, 2.0])
    y = x * x
    fn = y.creator
    y.sum().backward()
    assert fn.freed and fn.inputs == (x, x)
    kept = [v for k, v in vars(fn).items() if isinstance(v, np.ndarray)]
    kept += [a for a in vars(fn).get("args", ()) if isinstance(a, np.ndarray)]
    assert all(a is x.data or a is y.data for a in kept)


def test_graph_is_freed_when_the_result_is_dropped():
    x = leaf(np.ones(3))
    y = mg.tanh(x * 2.0).sum()
    ref = weakref.ref(y.creator)
    inner = weakref.ref(y.creator.inputs[0])
    y.backward()
    del y
    assert ref() is None and inner() is None  # freed by refcount, no cycles
    gc.collect()


def test_no_grad_builds_no_graph_and_restores_mode():
    x = leaf([1.0])
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = x * 2.0
        with mg.enable_grad():
            z = x * 3.0
    assert mg.is_grad_enabled()
    assert y.creator is None and not y.requires_grad
    assert z.creator is not None and z.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_as_decorator_and_after_exception():
    @mg.no_grad()
    def double(t):
        return t * 2.0

    assert double(leaf([1.0])).creator is None

    @mg.no_grad
    def triple(t):
        return t * 3.0

    assert triple(leaf([1.0])).creator is None
    assert triple.__name__ == "triple"
    with pytest.raises(ZeroDivisionError):
        with mg.no_grad():
            1 / 0
    assert mg.is_grad_enabled()


def test_detach_shares_data_but_cuts_the_graph():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    d = y.detach()
    assert d.creator is None and not d.requires_grad
    assert np.shares_memory(d.data, y.data)
    (d * x).sum().backward()  # gradient only through the x factor
    np.testing.assert_allclose(x.grad, y.data)


def test_intermediate_tensors_keep_no_grad_unless_retained():
    x = leaf([1.0, 2.0])
    y = x * 3.0
    h = (y * y).retain_grad()
    h.sum().backward()
    assert y.grad is None
    np.testing.assert_allclose(h.grad, [1.0, 1.0])


def test_backward_on_a_leaf_accumulates_grad():
    x = leaf([2.0])
    x.backward()
    np.testing.assert_allclose(x.grad, [1.0])


def test_inputs_not_requiring_grad_get_no_grad():
    x = leaf([1.0])
    c = mg.Tensor([2.0])
    (x * c).backward()
    assert c.grad is None


def test_chain_of_100k_ops_backpropagates_without_recursion():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    np.testing.assert_allclose(x.grad, [1.0])
    np.testing.assert_allclose(y.data, [100_001.0])


def test_topological_order_puts_consumers_first():
    x = leaf([1.0])
    a = x * 2.0
    b = a + x
    c = a * b
    order = _topological_order(c.creator)
    position = {fn: i for i, fn in enumerate(order)}
    for fn in order:
        for t in fn.inputs:
            if t.creator is not None:
                assert position[t.creator] > position[fn]
    assert len(order) == 3


def test_backward_without_grad_on_non_scalar_says_what_to_pass():
    y = leaf([1.0, 2.0]) * 2.0
    with pytest.raises(RuntimeError, match=r"shape \(2,\) needs grad="):
        y.backward()


def test_backward_rejects_wrong_shaped_grad_and_changes_nothing():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        y.backward(np.ones(3))
    assert x.grad is None
    y.backward(np.ones(2))  # the graph was not freed by the failed call
    np.testing.assert_allclose(x.grad, [2.0, 2.0])


def test_backward_grad_argument_accepts_tensor_and_casts_dtype():
    x = leaf([1.0, 2.0], dtype=np.float32)
    (x * 2.0).backward(mg.Tensor(np.array([1.0, 1.0])))
    assert x.grad.dtype == np.float32


def test_float32_leaf_gets_float32_grad_from_float64_path():
    x = leaf([1.0, 2.0], dtype=np.float32)
    y = x * mg.Tensor(np.array([1.0, 2.0], dtype=np.float64))
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [1.0, 2.0])


def test_custom_function_subclass():
    class Cube(Function):
        """y = x^3; dy/dx = 3x^2."""

        label = "cube"

        def forward(self, x):
            return x**3

        def backward(self, gy):
            return gy * 3 * self.inputs[0].data ** 2

    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert mg.gradcheck(lambda t: Cube()(t), [x])
    assert Cube()(x).creator.label == "cube"


def test_zero_dim_results_are_arrays():
    x = leaf(3.0)
    y = (x * x).sum()
    assert isinstance(y.data, np.ndarray) and y.shape == ()
    y.backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == ()
