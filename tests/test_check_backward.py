"""check_backward: hand-written NumPy backprop checked like gradcheck checks
minigrad ops -- correct code passes in every mode, planted bugs are caught
and named, and mistakes in what backward returns are explained in words."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import assert_backward, backward_report, check_backward


def affine_forward(x, w, b):
    return x @ w + b


def affine_backward(dout, x, w, b):
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0)


def relu_backward(dout, x):
    return dout * (x > 0)


def inputs(rng):
    return [rng.standard_normal((4, 3)), rng.standard_normal((3, 2)),
            rng.standard_normal(2)]


@pytest.mark.parametrize("mode", [{}, {"samples": 3}, {"fast": True}])
def test_correct_backprop_passes_in_every_mode(rng, mode):
    assert check_backward(affine_forward, affine_backward, inputs(rng), **mode)
    x = rng.choice([-1.0, 0.0, 1.0], size=(5, 4))  # exact kinks at 0
    report = assert_backward(relu_forward, relu_backward, [x], **mode)
    assert report.kinks_skipped > 0


@pytest.mark.parametrize("mode", [{}, {"samples": 6}, {"fast": True}])
def test_a_wrong_bias_gradient_is_caught_and_named(rng, mode):
    def backward(dout, x, w, b):  # bug: mean instead of sum over the batch
        return dout @ w.T, x.T @ dout, dout.mean(axis=0)

    with pytest.raises(mg.GradcheckError) as info:
        check_backward(affine_forward, backward, inputs(rng), ["x", "w", "b"],
                       **mode)
    assert [f["name"] for f in info.value.failures] == ["b"]
    message = str(info.value)
    assert message.startswith("check_backward failed")
    assert "analytic: what backward returned" in message
    assert "b: worst element" in message or "b: along random" in message


def test_the_report_names_the_worst_element_and_both_values(rng):
    def backward(dout, x, w, b):
        dx, dw, db = affine_backward(dout, x, w, b)
        dw[2, 1] += 0.5  # one wrong element
        return dx, dw, db

    with pytest.raises(AssertionError) as info:
        check_backward(affine_forward, backward, inputs(rng), ["x", "w", "b"])
    (failure,) = info.value.failures
    assert failure["name"] == "w" and failure["index"] == (2, 1)
    assert failure["analytic"] - failure["numerical"] == pytest.approx(0.5)
    assert "1 of 6 elements out of tolerance" in str(info.value)


def test_dict_inputs_and_dict_gradients(rng):
    x, w, b = inputs(rng)

    def backward(dout, x, w, b):
        dx, dw, db = affine_backward(dout, x, w, b)
        return {"w": dw, "b": db}  # x not differentiated

    report = assert_backward(affine_forward, backward, {"x": x, "w": w, "b": b})
    assert [r["name"] for r in report.results] == ["w", "b"]
    assert "x: not checked (backward returned None)" in str(report)


def test_integer_labels_are_constants(rng):
    scores, labels = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])

    def forward(s, y):
        return -s[np.arange(len(y)), y].sum()

    def backward(dout, s, y):
        ds = np.zeros_like(s)
        ds[np.arange(len(y)), y] = -dout
        return ds, None

    assert check_backward(forward, backward, [scores, labels])


def test_the_autograd_reference_is_compared_too(rng):
    def reference(x, w, b):
        return x @ w + b

    assert check_backward(affine_forward, affine_backward, inputs(rng),
                          reference=reference)

    def wrong_reference(x, w, b):
        return x @ w - b

    with pytest.raises(ValueError, match="compute different things"):
        check_backward(affine_forward, affine_backward, inputs(rng),
                       reference=wrong_reference)


def test_a_bug_both_checks_see_is_reported_against_autograd_too(rng):
    def backward(dout, x, w, b):
        return dout @ w.T, 2 * x.T @ dout, dout.sum(axis=0)

    report = backward_report(affine_forward, backward, inputs(rng),
                             ["x", "w", "b"], reference=lambda x, w, b: x @ w + b)
    text = str(report)
    assert "  w: worst element" in text
    assert "w (vs minigrad autograd): worst element" in text
    assert "vs autograd" in text


@pytest.mark.parametrize("returned, message", [
    (lambda dx, dw, db: (dx, dw), "backward returned 2 gradients, but forward "
                                  "takes 3 inputs \\(x, w, b\\)"),
    (lambda dx, dw, db: (dx, dw.T, db), "gradient for w has shape \\(2, 3\\), "
                                        "but w has shape \\(3, 2\\).*transposed"),
    (lambda dx, dw, db: (dx, dw, np.tile(db, (4, 1))),
     "gradient for b has shape \\(4, 2\\).*sum the gradient over the axes"),
    (lambda dx, dw, db: (dx.reshape(-1), dw, db), "reshape"),
    (lambda dx, dw, db: (dx, dw.astype(int), db), "dtype int64"),
])
def test_what_backward_returns_is_explained(rng, returned, message):
    def backward(dout, x, w, b):
        return returned(*affine_backward(dout, x, w, b))

    with pytest.raises((ValueError, TypeError), match=message):
        check_backward(affine_forward, backward, inputs(rng), ["x", "w", "b"])


def test_in_place_changes_are_refused(rng):
    x = rng.standard_normal((3, 3))

    def relu_backward_in_place(dout, x):
        x[x < 0] = 0  # changes its input
        return dout * (x > 0)

    with pytest.raises(ValueError, match="backward changed the input input 0"):
        check_backward(relu_forward, relu_backward_in_place, [x])

    def forward_in_place(x):
        x *= 2
        return x

    with pytest.raises(ValueError, match="forward changed the input"):
        check_backward(forward_in_place, relu_backward, [x])


def test_the_callers_arrays_are_never_touched(rng):
    args = inputs(rng)
    copies = [a.copy() for a in args]
    check_backward(affine_forward, affine_backward, args, fast=True)
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(a, c)


def test_float32_is_refused_or_upcast(rng):
    args = [a.astype(np.float32) for a in inputs(rng)]
    with pytest.raises(ValueError, match="float32.*dtype_policy='upcast'"):
        check_backward(affine_forward, affine_backward, args)
    assert check_backward(affine_forward, affine_backward, args,
                          dtype_policy="upcast")
    assert all(a.dtype == np.float32 for a in args)


def test_forward_must_return_float64(rng):
    with pytest.raises(ValueError, match="forward returned float32"):
        check_backward(lambda x: x.astype(np.float32), lambda d, x: d,
                       [rng.standard_normal(3)])


def test_nothing_to_check_is_an_error(rng):
    with pytest.raises(ValueError, match="nothing to check"):
        check_backward(relu_forward, lambda d, x: (None,), [rng.standard_normal(3)])
    with pytest.raises(ValueError, match="return statement missing"):
        check_backward(relu_forward, lambda d, x: None, [rng.standard_normal(3)])
