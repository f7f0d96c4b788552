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


# ---- issue 10, item 2: transpose with negative axes -----------------------
@pytest.mark.parametrize("shape, axes", [
    ((3, 3), (-1, 0)), ((2, 3), (-1, 0)), ((2, 3, 4), (0, -1, -2)),
    ((2, 3, 4), (-3, 2, 1)), ((4, 2, 3), (-1, -3, -2)),
])
def test_transpose_with_negative_axes_has_the_permuted_back_gradient(shape, axes):
    rng = np.random.default_rng(0)
    x = leaf(rng.standard_normal(shape))
    y = x.transpose(*axes)
    expected = np.transpose(x.data, axes)
    np.testing.assert_array_equal(y.data, expected)
    gy = rng.standard_normal(expected.shape)
    y.backward(gy)
    # d<gy, x^T>/dx is gy permuted back: checked against the forward itself
    gx = np.zeros(shape)
    np.add.at(gx, np.unravel_index(np.transpose(
        np.arange(x.size).reshape(shape), axes).ravel(), shape), gy.ravel())
    np.testing.assert_array_equal(x.grad, gx)


@pytest.mark.parametrize("axes", [(0, 0), (0, 1, 2), (0, 3), (-3, 0)])
def test_transpose_refuses_axes_that_are_not_a_permutation(axes):
    with pytest.raises(ValueError, match="not a permutation"):
        leaf(np.ones((2, 3))).transpose(*axes)


# ---- item 3: a tuple of sequences is an advanced index --------------------
@pytest.mark.parametrize("index", [
    ((0, 0),), ((0, 0), (1, 2)), ((1, 1, 0), slice(None)), (slice(None), [2, 2]),
    [1, 1], True, (Ellipsis, (0, 0)), ([[0, 1], [1, 1]],),
])
def test_sequence_inside_an_index_counts_repeated_picks(index):
    data = np.arange(6.0).reshape(2, 3)
    x = leaf(data)
    y = x[index]
    np.testing.assert_array_equal(y.data, data[index])
    gy = np.arange(1.0, y.size + 1).reshape(y.shape)
    y.backward(gy)
    gx = np.zeros_like(data)
    np.add.at(gx, index if not isinstance(index, list) else np.array(index), gy)
    np.testing.assert_array_equal(x.grad, gx)


# ---- item 4: x ** 0 and x ** 1 at x = 0 -----------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_power_0_and_1_at_zero_have_torchs_gradient(dtype):
    for exponent, expected in ((0, [0.0, 0.0]), (1, [1.0, 1.0])):
        for b in (exponent, mg.Tensor(np.full(2, exponent, dtype))):
            x = leaf([0.0, 2.0], dtype)
            with np.errstate(all="raise"):  # no 0 * inf on the way
                (x ** b).sum().backward()
            np.testing.assert_array_equal(x.grad, expected)


# ---- item 5: grad mode is per thread ---------------------------------------
def test_no_grad_in_another_thread_does_not_stop_recording_here():
    import threading

    inside, release = threading.Event(), threading.Event()
    seen = {}

    def validation():
        with mg.no_grad():
            seen["thread"] = mg.is_grad_enabled()
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=validation)
    worker.start()
    assert inside.wait(5)
    try:
        w = leaf([1.0, 2.0])
        (w * w).sum().backward()
        assert mg.is_grad_enabled()
        np.testing.assert_array_equal(w.grad, [2.0, 4.0])
    finally:
        release.set()
        worker.join()
    assert seen["thread"] is False and mg.is_grad_enabled()


def test_a_new_thread_starts_with_grad_on_even_inside_no_grad():
    import threading

    seen = []
    with mg.no_grad():
        t = threading.Thread(target=lambda: seen.append(mg.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


# ---- item 8: concatenate(axis=None) ----------------------------------------
def test_concatenate_axis_none_flattens_and_splits_the_gradient_back():
    a, b = leaf(np.arange(6.0).reshape(2, 3)), leaf([[7.0], [8.0]])
    y = mg.concatenate([a, b], axis=None)
    np.testing.assert_array_equal(y.data, np.concatenate([a.data, b.data], None))
    y.backward(np.arange(8.0))
    np.testing.assert_array_equal(a.grad, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(b.grad, [[6.0], [7.0]])


# ---- a user's Function.backward with a wrong shape -------------------------


def _user_op(returned):
    from minigrad.autograd import Function

    class Doubler(Function):
        label = "doubler"

        def forward(self, x):
            return 2 * x

        def backward(self, gy):
            return returned(gy)

    return Doubler()


@pytest.mark.parametrize("make_input", [
    lambda: leaf(np.ones((2, 3))),              # a leaf input
    lambda: leaf(np.ones((2, 3))) * 1.0,        # a non-leaf input
])
def test_a_user_backward_returning_the_wrong_shape_is_named(make_input):
    x = make_input()
    y = _user_op(lambda gy: gy.sum(axis=0))(x)
    with pytest.raises(RuntimeError) as err:
        y.sum().backward()
    message = str(err.value)
    assert "Doubler.backward" in message and "internal error" not in message
    assert "(3,)" in message and "expected a gradient of shape (2, 3)" in message


def test_a_user_backward_returning_too_many_gradients_is_named():
    y = _user_op(lambda gy: (gy, gy))(leaf([1.0]))
    with pytest.raises(RuntimeError, match="Doubler.backward .* 2 gradients for 1"):
        y.backward()


# ---- item 6: version counters ----------------------------------------------
def test_every_tensor_starts_at_version_zero():
    x = leaf([1.0])
    assert x._version == 0 and (x * 2.0)._version == 0
    assert mg.Tensor._wrap(np.ones(1))._version == 0 and x.detach()._version == 0


def test_backward_after_an_optimizer_step_refuses_the_changed_values():
    from minigrad import nn, optim

    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = model(mg.Tensor(np.ones((4, 3), np.float32))).sum()
    loss.backward(retain_graph=True)
    versions = [p._version for p in model.parameters()]
    opt.step()
    assert [p._version for p in model.parameters()] == [v + 1 for v in versions]
    before = [p.grad.copy() for p in model.parameters()]
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as err:
        loss.backward()
    assert "linear" in str(err.value) and "version 1" in str(err.value)
    # refused before anything was accumulated
    for p, g in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.grad, g)


def test_load_state_dict_bumps_the_versions():
    from minigrad import nn

    model = nn.Linear(2, 2)
    x = mg.Tensor(np.ones((1, 2), np.float32))
    y = model(x).sum()
    model.load_state_dict(nn.Linear(2, 2).state_dict())
    assert all(p._version == 1 for p in model.parameters())
    with pytest.raises(RuntimeError, match="inplace"):
        y.backward()


def test_ops_that_need_only_shapes_do_not_refuse():
    b = leaf([1.0, 2.0])
    y = (b + 1.0).sum()
    b._version += 1  # what an in-place write does
    y.backward()  # add's gradient does not depend on b's values: as PyTorch
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_views_share_the_version_counter_copies_do_not():
    x = leaf(np.ones((2, 3)))
    views = [x.T, x.reshape(3, 2), x[0], x[:, 1:], x.detach()]
    copies = [x * 1.0, x[[0, 1]]]
    x._version += 1
    assert [v._version for v in views] == [1] * len(views)
    assert [c._version for c in copies] == [0] * len(copies)


def test_docs_say_direct_data_writes_are_the_users_responsibility():
    import pathlib

    text = (pathlib.Path(__file__).parents[1] / "docs" / "autograd.md").read_text()
    assert "modified by an inplace operation" in text and "`.data`" in text
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    x.data[...] = 5.0  # not counted: backward uses the new values, as documented
    y.backward()
    np.testing.assert_array_equal(x.grad, [10.0, 10.0])


def test_grad_mode_count_returns_to_zero_after_nested_blocks_and_errors():
    from minigrad import autograd

    with mg.no_grad():
        with mg.enable_grad():
            assert mg.is_grad_enabled() and (leaf([1.0]) * 2.0).requires_grad
            with mg.no_grad():
                assert not (leaf([1.0]) * 2.0).requires_grad
        assert not (leaf([1.0]) * 2.0).requires_grad
    with pytest.raises(ValueError), mg.no_grad():
        raise ValueError("inside")

    @mg.no_grad
    def evaluate():
        return (leaf([1.0]) * 2.0).requires_grad

    assert evaluate() is False
    assert autograd._threads_without_grad == 0 and (leaf([1.0]) * 2.0).requires_grad
