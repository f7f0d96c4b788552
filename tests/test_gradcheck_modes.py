"""gradcheck's modes: fast (random directions), sampled, kink-aware; the
report, the assert_* helpers and dtype_policy. Each mode catches the planted
bugs it should, and costs the number of evaluations the docs promise."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.autograd import Function
from minigrad.testing import (assert_gradcheck, assert_gradcheck_module,
                              gradcheck_report)


def f64(rng, *shape, name=None):
    return mg.Tensor(rng.standard_normal(shape), requires_grad=True,
                     dtype=np.float64, name=name)


class WrongAt(Function):
    """y = x^2 with a backward that is wrong (x1.5) at one element only."""

    label = "wrong_square"

    def __init__(self, bad_index):
        self.bad_index = bad_index

    def forward(self, x):
        return x * x

    def backward(self, gy):
        gx = gy * 2 * self.inputs[0].data
        gx[self.bad_index] *= 1.5
        return gx


class WrongTranspose(Function):
    """Permutes axes (1, 2, 0); backward applies it again, not its inverse."""

    label = "wrong_transpose"

    def forward(self, x):
        return np.transpose(x, (1, 2, 0))

    def backward(self, gy):
        return np.transpose(gy, (1, 2, 0))


class ReLUWrongAtZero(Function):
    """ReLU whose backward says relu'(0) = 5 (any convention lies in [0, 1])."""

    label = "relu_wrong_at_0"

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * np.where(x == 0, 5.0, x > 0)


class ReLUWrongMask(Function):
    """ReLU whose backward lets gradient through for x > -0.75 (a bug away
    from the kink)."""

    label = "relu_wrong_mask"

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, gy):
        return gy * (self.inputs[0].data > -0.75)


class Counted:
    """fn wrapper counting evaluations."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


# ---- fast mode -----------------------------------------------------------
@pytest.mark.parametrize("size", [10, 10_000])
def test_fast_mode_costs_two_evaluations_per_direction_whatever_the_size(size):
    rng = np.random.default_rng(0)
    x, w = f64(rng, size), f64(rng, size)
    fn = Counted(lambda x, w: mg.tanh(x * w))
    assert mg.gradcheck(fn, [x, w], fast=True, directions=3)
    # output shape + analytic pass + L(x) + 2 per direction per input
    assert fn.calls == 3 + 2 * 3 * 2


def test_fast_mode_default_directions(rng):
    x = f64(rng, 5)
    report = gradcheck_report(lambda t: t * t, [x], fast=True)
    assert report.results[0]["checked"] == mg.testing.DEFAULT_DIRECTIONS == 8


def test_fast_mode_catches_a_wrong_transpose_and_names_the_element(rng):
    x = f64(rng, 3, 3, 3)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(lambda t: WrongTranspose()(t), [x], fast=True)
    message = str(info.value)
    assert message.startswith("gradcheck failed (fast: 8 random unit "
                              "directions per input")
    assert "along random unit direction" in message
    assert "element by element: worst element" in message
    assert info.value.report.mode == "fast"


@pytest.mark.parametrize("seed", range(10))
def test_fast_mode_catches_a_single_wrong_element_in_a_small_input(seed):
    rng = np.random.default_rng(seed)
    x, other = f64(rng, 4, 5, name="x"), f64(rng, 3)
    bad = (int(rng.integers(4)), int(rng.integers(5)))
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(lambda t, o: (WrongAt(bad)(t).sum() * o), [x, other],
                     fast=True, seed=seed)
    (failure,) = info.value.failures
    assert failure["name"] == "input 0 ('x')"
    assert failure["index"] == bad  # located by the element-wise fallback
    assert failure["n_bad"] == 1 and failure["size"] == 20


def test_fast_mode_without_locate_only_gives_the_verdict(rng):
    x = f64(rng, 3, 3, 3)
    fn = Counted(lambda t: WrongTranspose()(t))
    report = gradcheck_report(fn, [x], fast=True, directions=2, locate=False)
    assert not report.passed and "element by element" not in str(report)
    assert report.failures[0]["index"] is None
    assert fn.calls == 3 + 2 * 2


def test_fast_mode_is_seeded(rng):
    x = f64(rng, 6, 7)

    def fn(t):
        return WrongAt((5, 6))(t)

    a = gradcheck_report(fn, [x], fast=True, seed=1, locate=False)
    b = gradcheck_report(fn, [x], fast=True, seed=1, locate=False)
    c = gradcheck_report(fn, [x], fast=True, seed=2, locate=False)
    assert str(a) == str(b) and str(a) != str(c)


# ---- sampled mode --------------------------------------------------------
def test_sampled_mode_costs_two_evaluations_per_sample(rng):
    x, w = f64(rng, 50), f64(rng, 3)
    fn = Counted(lambda x, w: (x * x).sum() * w)
    assert mg.gradcheck(fn, [x, w], samples=4)
    assert fn.calls == 3 + 2 * (4 + 3)  # w has only 3 elements


def test_sampled_mode_fails_exactly_when_the_bad_element_is_drawn():
    caught = 0
    for seed in range(60):
        x = f64(np.random.default_rng(seed), 10)
        report = gradcheck_report(lambda t: WrongAt(7)(t), [x], samples=5,
                                  seed=seed)
        if not report.passed:
            caught += 1
            assert report.failures[0]["index"] == (7,)
            assert "1 of 5 sampled elements out of tolerance" in str(report)
    assert 15 <= caught <= 45  # 5 of 10 elements drawn: about half the seeds


def test_sampled_mode_catches_an_error_spread_over_many_elements(rng):
    x = mg.Tensor(rng.uniform(-1, 1, (30, 30)), requires_grad=True,
                  dtype=np.float64)
    with pytest.raises(mg.GradcheckError, match="sampled elements out of"):
        mg.gradcheck(lambda t: ReLUWrongMask()(t), [x], samples=20)


# ---- kinks ---------------------------------------------------------------
def kinky(shape, seed=0):
    grid = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    data = np.random.default_rng(seed).choice(grid, size=shape)
    return mg.Tensor(data, requires_grad=True, dtype=np.float64)


KINKY_OPS = {  # op, whether central differences at the kink disagree
    "relu": (mg.relu, True),          # relu'(0) = 0, central gives 1/2
    "max": (lambda t: t.max(axis=0), True),  # ties: 1/2 each, central 1 or 0
    "clip": (lambda t: mg.clip(t, -0.5, 0.5), True),  # 1 at a bound
    "abs": (mg.abs, False),           # abs'(0) = 0 = central
    "maximum": (lambda t: mg.maximum(t, 0.0), False),  # tie 1/2 = central
}


@pytest.mark.parametrize("name", list(KINKY_OPS))
def test_kinks_are_skipped_and_counted_but_fail_when_asked(name):
    op, disagrees = KINKY_OPS[name]
    x = kinky((6, 5))
    report = assert_gradcheck(op, [x])
    assert (report.kinks_skipped > 0) == disagrees
    assert ("at a kink skipped" in str(report)) == disagrees
    assert mg.gradcheck(op, [x], kinks="fail",
                        raise_exception=False) is not disagrees


def test_kinks_that_bracket_the_analytic_value_cost_nothing_more():
    x = kinky((4, 5))
    relu = Counted(mg.relu)
    report = assert_gradcheck(relu, [x])
    assert report.kinks_skipped > 0 and relu.calls == 3 + 2 * 20
    wrong = Counted(lambda t: ReLUWrongAtZero()(t))  # 5 is outside [0, 1]
    report = gradcheck_report(wrong, [x])
    assert wrong.calls == 3 + 2 * 20 + 4 * report.results[0]["n_bad"]


@pytest.mark.parametrize("mode", [{}, {"samples": 25}])
def test_a_wrong_derivative_at_the_kink_itself_is_caught(mode):
    x = kinky((5, 5), seed=1)
    with pytest.raises(mg.GradcheckError, match=r"analytic"):
        mg.gradcheck(lambda t: ReLUWrongAtZero()(t), [x], **mode)


@pytest.mark.parametrize("mode", [{}, {"samples": 25}, {"fast": True}])
def test_a_wrong_backward_away_from_kinks_is_not_excused(mode):
    x = kinky((5, 5), seed=2)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(lambda t: ReLUWrongMask()(t), [x], **mode)
    assert "worst element" in str(info.value)
    if mode.get("fast"):  # every direction crosses the zeros' kinks
        assert "every random direction crossed a kink" in str(info.value)


def test_a_steep_smooth_function_with_a_small_error_is_not_a_kink(rng):
    # eps * f'' is far above the tolerance here, yet the error is reported
    x = mg.Tensor(rng.uniform(1.0, 2.0, 6), requires_grad=True,
                  dtype=np.float64)

    class SlightlyWrongExp(Function):
        def forward(self, x):
            return np.exp(8 * x)

        def backward(self, gy):
            return gy * 8 * np.exp(8 * self.inputs[0].data) * 1.01

    report = gradcheck_report(lambda t: SlightlyWrongExp()(t), [x])
    assert not report.passed and report.kinks_skipped == 0


def relu_mlp_with_exact_kinks():
    mg.manual_seed(0)
    model = nn.MLP([4, 6, 3], activation="relu")
    for name, p in model.named_parameters():
        p.data = p.data.astype(np.float64)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4))
    x[1] = 0.0  # a zero-padded row: with zero biases, every ReLU sits at 0
    return model, mg.Tensor(x, dtype=np.float64)


@pytest.mark.parametrize("mode", [{}, {"samples": 5}, {"fast": True}])
def test_a_relu_mlp_passes_without_tricks(mode):
    model, x = relu_mlp_with_exact_kinks()
    report = assert_gradcheck_module(model, x, **mode)
    assert report.kinks_skipped > 0
    assert not mg.gradcheck_module(model, x, kinks="fail",
                                   raise_exception=False, **mode)


# ---- report, assert helpers, options ------------------------------------
def test_a_passing_report_lists_every_input(rng):
    x, w = f64(rng, 3, name="x"), f64(rng, 3)
    report = assert_gradcheck(lambda a, b: a * b, [x, w], samples=2)
    assert str(report).splitlines() == [
        "gradcheck passed (sampled: 2 random elements per input, atol=1e-05, "
        "rtol=0.001):",
        "  input 0 ('x'): 2 of 2 sampled elements (of 3) agree",
        "  input 1: 2 of 2 sampled elements (of 3) agree",
    ]
    assert bool(report) and report.failures == []


def test_assert_helpers_raise_assertion_error_with_the_report(rng):
    x = f64(rng, 3, 4, name="w")
    with pytest.raises(AssertionError) as info:
        assert_gradcheck(lambda t: WrongAt((2, 1))(t), [x])
    assert str(info.value) == str(info.value.report)
    assert "input 0 ('w'): worst element (2, 1)" in str(info.value)
    model, batch = relu_mlp_with_exact_kinks()
    with pytest.raises(AssertionError, match="layers|weight|bias"):
        assert_gradcheck_module(
            model, batch, loss_fn=lambda y: WrongAt((0, 0))(y).sum())


@pytest.mark.parametrize("options, message", [
    ({"fast": True, "samples": 3}, "not both"),
    ({"samples": 0}, "samples must be"),
    ({"samples": 2.5}, "samples must be"),
    ({"directions": 3}, "only applies with fast=True"),
    ({"fast": True, "directions": 0}, "directions must be"),
    ({"kinks": "ignore"}, "kinks must be"),
    ({"dtype_policy": "cast"}, "dtype_policy must be"),
])
def test_bad_options_are_refused(rng, options, message):
    with pytest.raises(ValueError, match=message):
        mg.gradcheck(lambda t: t * 2.0, [f64(rng, 3)], **options)


@pytest.mark.parametrize("mode", [{"fast": True}, {"samples": 3}])
def test_inputs_are_left_exactly_as_they_were(rng, mode):
    x = f64(rng, 9, 3)
    before = x.data.copy()
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda t: WrongTranspose()(t.reshape(3, 3, 3)), [x],
                     **mode)
    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None


def test_float32_is_refused_with_advice_or_upcast(rng):
    x = mg.Tensor(rng.standard_normal((3, 4)).astype(np.float32),
                  requires_grad=True)
    with pytest.raises(ValueError, match="float32.*dtype_policy='upcast'"):
        mg.gradcheck(mg.tanh, [x])
    before = x.data.copy()
    assert mg.gradcheck(mg.tanh, [x], dtype_policy="upcast")
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x.data, before)
    with pytest.raises(mg.GradcheckError):  # still a real check
        mg.gradcheck(lambda t: WrongAt(1)(t), [x], dtype_policy="upcast")


def test_gradcheck_module_upcasts_float32_parameters(rng):
    mg.manual_seed(0)
    model = nn.MLP([3, 4, 2], activation="tanh")  # float32 parameters
    batch = mg.Tensor(rng.standard_normal((5, 3)).astype(np.float32))
    with pytest.raises(ValueError, match="float32"):
        mg.gradcheck_module(model, batch)
    arrays = [p.data for p in model.parameters()]
    values = [a.copy() for a in arrays]
    assert mg.gradcheck_module(model, batch, dtype_policy="upcast", fast=True)
    for p, array, value in zip(model.parameters(), arrays, values):
        assert p.data is array and p.dtype == np.float32
        np.testing.assert_array_equal(p.data, value)
