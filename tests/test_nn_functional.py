"""nn.functional: forward against NumPy, gradchecks (also at logits of +-1000),
stability, equivalences and bad input."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

EXTREME = np.array([[1000.0, -1000.0, 0.5, 3.0],
                    [-1000.0, -1000.0, 1000.0, 999.0],
                    [1000.0, 1000.0, 1000.0, -1000.0]])
TARGETS = np.array([1, 0, 3])  # mostly the "wrong" class: the hardest case


def t64(a, grad=True):
    return mg.Tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def away_from_zero(rng, shape):
    """Random values with |x| >= 0.1, so a kink at 0 never sits within eps."""
    x = rng.standard_normal(shape)
    return np.sign(x) * (0.1 + np.abs(x))


# ---- NumPy references, written the naive way (fine for moderate inputs) ------
def np_logsumexp(x, axis):
    return np.log(np.sum(np.exp(x), axis=axis))


def np_softmax(x, axis):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def reduce(v, reduction):
    return {"mean": v.mean(), "sum": v.sum(), "none": v}[reduction]


# ---- forward ------------------------------------------------------------------
@pytest.mark.parametrize("name, ours, ref", [
    ("relu", F.relu, lambda x: np.maximum(x, 0)),
    ("sigmoid", F.sigmoid, np_sigmoid),
    ("tanh", F.tanh, np.tanh),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2),
     lambda x: np.where(x > 0, x, 0.2 * x)),
])
def test_activations_match_numpy(name, ours, ref, rng):
    x = rng.standard_normal((4, 5)) * 3
    np.testing.assert_allclose(ours(t64(x)).numpy(), ref(x), rtol=1e-12, atol=1e-15)
    y32 = ours(mg.Tensor(x.astype(np.float32)))
    assert y32.dtype == np.float32


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_family_matches_numpy(axis, rng):
    x = rng.standard_normal((3, 4)) * 4
    np.testing.assert_allclose(F.softmax(t64(x), axis).numpy(), np_softmax(x, axis),
                               rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(t64(x), axis).numpy(),
                               np.log(np_softmax(x, axis)), rtol=1e-12)
    np.testing.assert_allclose(F.logsumexp(t64(x), axis).numpy(),
                               np_logsumexp(x, axis), rtol=1e-12)
    kept = F.logsumexp(t64(x), axis, keepdims=True)
    assert kept.shape == np.expand_dims(np_logsumexp(x, axis), axis).shape


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_numpy(reduction, rng):
    pred, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    np.testing.assert_allclose(
        F.mse_loss(t64(pred), target, reduction).numpy(),
        reduce((pred - target) ** 2, reduction), rtol=1e-12)

    logits, classes = rng.standard_normal((6, 4)) * 3, rng.integers(0, 4, 6)
    per_row = -np.log(np_softmax(logits, 1))[np.arange(6), classes]
    np.testing.assert_allclose(
        F.cross_entropy(t64(logits), classes, reduction).numpy(),
        reduce(per_row, reduction), rtol=1e-12)

    z, labels = rng.standard_normal((7, 2)) * 3, rng.uniform(0, 1, (7, 2))
    p = np_sigmoid(z)
    bce = -(labels * np.log(p) + (1 - labels) * np.log(1 - p))
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(t64(z), labels, reduction).numpy(),
        reduce(bce, reduction), rtol=1e-10)


def test_extreme_logits_have_exact_finite_values():
    lse = F.logsumexp(t64(EXTREME), axis=1).numpy()
    np.testing.assert_allclose(lse, [1000.0, 1000 + np.log1p(np.exp(-1.0)),
                                     1000 + np.log(3.0)], rtol=1e-15)
    ce = F.cross_entropy(t64(EXTREME), TARGETS, reduction="none").numpy()
    np.testing.assert_allclose(ce, lse - EXTREME[np.arange(3), TARGETS], rtol=1e-15)
    bce = F.binary_cross_entropy_with_logits(
        t64([1000.0, -1000.0, 1000.0, -1000.0]), [0.0, 1.0, 1.0, 0.0],
        reduction="none").numpy()
    np.testing.assert_array_equal(bce, [1000.0, 1000.0, 0.0, 0.0])


LOSSES_AND_ACTIVATIONS = {
    "relu": lambda x: F.relu(x),
    "sigmoid": lambda x: F.sigmoid(x),
    "tanh": lambda x: F.tanh(x),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1),
    "softmax": lambda x: F.softmax(x, axis=1),
    "softmax_axis0": lambda x: F.softmax(x, axis=0),
    "log_softmax": lambda x: F.log_softmax(x, axis=1),
    "logsumexp": lambda x: F.logsumexp(x, axis=1),
    "logsumexp_keepdims": lambda x: F.logsumexp(x, axis=0, keepdims=True),
    "cross_entropy": lambda x: F.cross_entropy(x, TARGETS),
    "cross_entropy_sum": lambda x: F.cross_entropy(x, TARGETS, reduction="sum"),
    "cross_entropy_none": lambda x: F.cross_entropy(x, TARGETS, reduction="none"),
    "bce": lambda x: F.binary_cross_entropy_with_logits(x, np.eye(3, 4)),
    "bce_none": lambda x: F.binary_cross_entropy_with_logits(
        x, np.full((3, 4), 0.3), reduction="none"),
    "mse": lambda x: F.mse_loss(x, np.ones((3, 4))),
    "mse_none": lambda x: F.mse_loss(x, np.ones((3, 4)), reduction="none"),
}


@pytest.mark.parametrize("name", LOSSES_AND_ACTIVATIONS)
def test_gradcheck_moderate_inputs(name, rng):
    x = t64(away_from_zero(rng, (3, 4)) * 2)
    assert mg.gradcheck(LOSSES_AND_ACTIVATIONS[name], [x])


@pytest.mark.parametrize("name", LOSSES_AND_ACTIVATIONS)
def test_gradcheck_and_finiteness_at_extreme_logits(name):
    fn = LOSSES_AND_ACTIVATIONS[name]
    x = t64(EXTREME)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = fn(x)
        out.backward(np.ones_like(out.numpy()))
    assert np.all(np.isfinite(out.numpy())) and np.all(np.isfinite(x.grad))
    assert mg.gradcheck(fn, [t64(EXTREME)])


@pytest.mark.parametrize("name", LOSSES_AND_ACTIVATIONS)
def test_float32_extreme_logits_stay_finite_and_float32(name):
    x = mg.Tensor(EXTREME.astype(np.float32), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = LOSSES_AND_ACTIVATIONS[name](x)
        out.backward(np.ones_like(out.numpy()))
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    assert np.all(np.isfinite(out.numpy())) and np.all(np.isfinite(x.grad))


def test_gradcheck_bce_and_mse_target_gradients(rng):
    z, t = t64(rng.standard_normal((4, 3))), t64(rng.uniform(0, 1, (4, 3)))
    assert mg.gradcheck(F.binary_cross_entropy_with_logits, [z, t])
    assert mg.gradcheck(F.mse_loss, [t64(rng.standard_normal(5)),
                                     t64(rng.standard_normal(5))])


def test_gradcheck_linear(rng):
    x, w, b = (t64(rng.standard_normal(s)) for s in [(5, 3), (4, 3), (4,)])
    assert mg.gradcheck(F.linear, [x, w, b])
    assert mg.gradcheck(lambda x, w: F.linear(x, w), [x, w])
    # the values too: a dropped bias keeps every gradient above correct
    expected = x.numpy() @ w.numpy().T + b.numpy()
    np.testing.assert_allclose(F.linear(x, w, b).numpy(), expected, rtol=1e-14)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 4, 3)])
def test_linear_takes_a_vector_or_any_leading_dims(rng, shape):
    x, w, b = (t64(rng.standard_normal(s)) for s in [shape, (5, 3), (5,)])
    assert mg.gradcheck(F.linear, [x, w, b])
    expected = x.numpy() @ w.numpy().T + b.numpy()
    np.testing.assert_allclose(F.linear(x, w, b).numpy(), expected, rtol=1e-14)
    c = rng.standard_normal(expected.shape)  # dW = sum over rows of c^T x
    F.linear(x, w, b).backward(c)
    rows, x_rows = c.reshape(-1, 5), x.numpy().reshape(-1, 3)
    np.testing.assert_allclose(w.grad, rows.T @ x_rows, rtol=1e-12)
    np.testing.assert_allclose(b.grad, rows.sum(axis=0), rtol=1e-12)


def test_linear_with_a_frozen_weight_still_trains_its_bias(rng):
    x, b = t64(rng.standard_normal((4, 3))), t64(rng.standard_normal(5))
    w = t64(rng.standard_normal((5, 3)), grad=False)
    F.linear(x, w, b).sum().backward()
    np.testing.assert_allclose(b.grad, np.full(5, 4.0))
    np.testing.assert_allclose(x.grad, np.ones((4, 5)) @ w.numpy())
    assert w.grad is None


# ---- identities ---------------------------------------------------------------
def test_softmax_properties(rng):
    x = rng.standard_normal((4, 6)) * 50
    p = F.softmax(t64(x), axis=1).numpy()
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-14)
    shifted = F.softmax(t64(x + 123.0), axis=1).numpy()  # shift invariance
    np.testing.assert_allclose(shifted, p, rtol=1e-10, atol=1e-300)


def test_cross_entropy_is_nll_of_log_softmax(rng):
    z, t = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    direct = F.cross_entropy(t64(z), t).item()
    via_log_softmax = -F.log_softmax(t64(z), axis=1).numpy()[np.arange(5), t].mean()
    assert direct == pytest.approx(via_log_softmax, rel=1e-14)


def test_bce_equals_two_class_cross_entropy(rng):
    """sigmoid(z) is softmax([0, z])[1], so the two losses must agree."""
    z, t = rng.standard_normal(6) * 5, rng.integers(0, 2, 6)
    two_class = np.stack([np.zeros(6), z], axis=1)
    assert F.binary_cross_entropy_with_logits(t64(z), t).item() == pytest.approx(
        F.cross_entropy(t64(two_class), t).item(), rel=1e-12)


def test_cross_entropy_gradient_is_softmax_minus_onehot(rng):
    z, t = t64(rng.standard_normal((4, 3))), rng.integers(0, 3, 4)
    F.cross_entropy(z, t, reduction="sum").backward()
    expected = np_softmax(z.numpy(), 1) - np.eye(3)[t]
    np.testing.assert_allclose(z.grad, expected, rtol=1e-12, atol=1e-15)


# ---- bad input ----------------------------------------------------------------
@pytest.mark.parametrize("call, error, match", [
    (lambda: F.cross_entropy(t64(np.zeros((3, 2))), np.array([0.0, 1.0, 1.0])),
     TypeError, "integer"),
    (lambda: F.cross_entropy(t64(np.zeros((3, 2))), np.array([0, 2, 1])),
     ValueError, r"\[0, 2\)"),
    (lambda: F.cross_entropy(t64(np.zeros((3, 2))), np.array([0, -1, 1])),
     ValueError, "min -1"),
    (lambda: F.cross_entropy(t64(np.zeros((3, 2))), np.array([0, 1])),
     ValueError, r"shape \(3,\)"),
    (lambda: F.cross_entropy(t64(np.zeros(3)), np.array([0])), ValueError, "(N, C)"),
    (lambda: F.cross_entropy(t64(np.zeros((0, 3))), np.zeros(0, np.int64)),
     ValueError, "N, C >= 1"),
    (lambda: F.cross_entropy(t64(np.zeros((1, 2))), np.array([0]), "avg"),
     ValueError, "reduction"),
    (lambda: F.mse_loss(t64(np.zeros((4, 1))), np.zeros(4)), ValueError, "broadcast"),
    (lambda: F.mse_loss(t64(np.zeros(2)), np.array(["a", "b"])), TypeError, "numbers"),
    (lambda: F.binary_cross_entropy_with_logits(t64(np.zeros(3)), np.zeros(2)),
     ValueError, "shape"),
    (lambda: F.softmax(t64(np.zeros((2, 2))), axis=2), ValueError, "axis 2"),
    (lambda: F.softmax(t64(np.zeros((2, 2))), axis=1.0), TypeError, "axis"),
    (lambda: F.relu(mg.Tensor(np.arange(3))), TypeError, "float"),
    (lambda: F.leaky_relu(t64([1.0]), float("nan")), ValueError, "negative_slope"),
    (lambda: F.linear(t64(np.zeros((2, 3))), t64(np.zeros((4, 5)))),
     ValueError, r"\(\.\.\., 5\)"),
    (lambda: F.linear(mg.Tensor(np.zeros((2, 5), np.float32)), t64(np.zeros((4, 5)))),
     TypeError, "float32"),
])
def test_bad_input_raises_specific_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- properties over arbitrary logits -----------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

finite_logits = arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)),
                       elements=st.floats(-1e4, 1e4))


@settings(max_examples=60, deadline=None)
@given(finite_logits, st.integers(0, 2**31))
def test_softmax_family_is_finite_and_normalised_for_any_logits(z, seed):
    n, c = z.shape
    target = np.random.default_rng(seed).integers(0, c, n)
    x = mg.Tensor(z, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = F.softmax(x, axis=1)
        loss = F.cross_entropy(x, target)
        loss.backward()
        log_p = F.log_softmax(mg.Tensor(z), axis=1).numpy()
    np.testing.assert_allclose(p.numpy().sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(np.isfinite(log_p)) and np.all(log_p <= 0)
    assert np.isfinite(loss.item()) and loss.item() >= 0
    np.testing.assert_allclose(x.grad.sum(axis=1), 0.0, atol=1e-12)  # rows of p - 1


def test_anomaly_mode_names_the_fused_op():
    x = mg.Tensor(np.array([[np.nan, 1.0]]), requires_grad=True)
    with mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError, match="cross_entropy"):
            F.cross_entropy(x, np.array([0]))


def test_cross_entropy_under_create_graph_is_finite_for_large_logits():
    # the backward's softmax shifts by the row max, as the forward does:
    # exp(60 + 60) overflows float32, exp(60 - 60) does not
    z = mg.Tensor(np.array([[60.0, 50.0, -10.0]], np.float32), requires_grad=True)
    y = np.array([1])
    (g,) = mg.grad(F.cross_entropy(z, y), [z], create_graph=True)
    p = np.exp(z.numpy() - 60.0) / np.exp(z.numpy() - 60.0).sum()
    np.testing.assert_allclose(g.numpy(), p - np.eye(3)[y], rtol=1e-5, atol=1e-7)
    (gg,) = mg.grad((g * g).sum(), [z])
    assert np.isfinite(gg.numpy()).all()
