"""gradcheck itself: passes correct ops, catches wrong ones, names the worst
element, refuses float32, and leaves inputs and modules exactly as they were."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function


def f64(rng, *shape, name=None):
    return mg.Tensor(rng.standard_normal(shape), requires_grad=True,
                     dtype=np.float64, name=name)


class WrongAtOneElement(Function):
    """y = x^2 with a backward that is wrong at one element only."""

    label = "wrong_square"

    def __init__(self, bad_index):
        self.bad_index = bad_index

    def forward(self, x):
        return x * x

    def backward(self, gy):
        gx = gy * 2 * self.inputs[0].data
        gx[self.bad_index] *= 1.5
        return gx


class WrongTransposeBackward(Function):
    """Permutes axes (1, 2, 0) but backward applies the same permutation
    instead of its inverse: invisible to an all-ones cotangent (a ones array
    looks the same either way), caught by a random one."""

    label = "wrong_transpose"

    def forward(self, x):
        return np.transpose(x, (1, 2, 0))

    def backward(self, gy):
        return np.transpose(gy, (1, 2, 0))


def test_passes_correct_ops(rng):
    x, w = f64(rng, 3, 4), f64(rng, 4, 2)
    assert mg.gradcheck(lambda x, w: mg.tanh(x @ w) * 2.0, [x, w])


def test_catches_a_wrong_backward_and_names_the_worst_element(rng):
    x = f64(rng, 3, 4, name="weights")
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(lambda t: WrongAtOneElement((2, 1))(t), [x])
    message = str(info.value)
    assert "input 0 ('weights')" in message
    assert "worst element (2, 1)" in message
    assert "1 of 12 elements" in message
    assert "abs error" in message and "rel error" in message
    failure = info.value.failures[0]
    assert failure["index"] == (2, 1)
    np.testing.assert_allclose(
        failure["analytic"], 1.5 * failure["numerical"], rtol=1e-6
    )


def test_names_the_right_input_among_several(rng):
    a, b = f64(rng, 3), f64(rng, 3)
    with pytest.raises(mg.GradcheckError, match="input 1") as info:
        mg.gradcheck(lambda a, b: a * WrongAtOneElement(0)(b), [a, b])
    assert [f["name"] for f in info.value.failures] == ["input 1"]


def test_random_cotangent_catches_what_ones_would_miss(rng):
    x = f64(rng, 2, 2, 2)

    def fn(t):
        return WrongTransposeBackward()(t)

    WrongTransposeBackward()(x).backward(np.ones((2, 2, 2)))
    (numerical,) = mg.numerical_grad(fn, [x])  # ones cotangent
    np.testing.assert_allclose(x.grad, numerical)  # the bug hides
    assert not mg.gradcheck(fn, [x], raise_exception=False)


def test_raise_exception_false_returns_false(rng):
    x = f64(rng, 5)
    assert mg.gradcheck(lambda t: WrongAtOneElement(3)(t), [x],
                        raise_exception=False) is False


def test_float32_input_is_refused_with_advice():
    x = mg.Tensor(np.ones(3, np.float32), requires_grad=True)
    with pytest.raises(ValueError, match="float64.*float32"):
        mg.gradcheck(lambda t: t * 2.0, [x])


def test_float32_output_is_refused(rng):
    x = f64(rng, 3)
    with pytest.raises(ValueError, match="float64"):
        mg.gradcheck(lambda t: t.astype(np.float32), [x])


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        mg.gradcheck(lambda t: t * 2.0, [mg.Tensor(np.ones(2), dtype=np.float64)])


def test_inputs_and_grads_are_left_exactly_as_they_were(rng):
    x = f64(rng, 3, 2)
    before = x.data.copy()
    grad = np.full((3, 2), 7.0)
    x.grad = grad
    mg.gradcheck(lambda t: (t * t).sum(axis=0), [x])
    np.testing.assert_array_equal(x.data, before)  # bit-identical
    assert x.grad is grad
    np.testing.assert_array_equal(grad, 7.0)


def test_numerical_grad_matches_known_derivative(rng):
    x = f64(rng, 2, 3)
    c = mg.Tensor(np.ones(3), dtype=np.float64)
    (g, none) = mg.numerical_grad(lambda t, c: (t**3 * c).sum(), [x, c])
    np.testing.assert_allclose(g, 3 * x.data**2, rtol=1e-6)
    assert none is None
    cot = rng.standard_normal((2, 3))
    (g,) = mg.numerical_grad(lambda t: t * t, [x], cotangent=cot)
    np.testing.assert_allclose(g, 2 * x.data * cot, rtol=1e-6)


def test_numerical_grad_restores_input_when_fn_raises(rng):
    x = f64(rng, 4)
    before = x.data.copy()
    calls = []

    def flaky(t):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return t * 2.0

    with pytest.raises(RuntimeError, match="boom"):
        mg.numerical_grad(flaky, [x])
    np.testing.assert_array_equal(x.data, before)


class TinyModule:
    """Duck-typed like nn.Module: named_parameters() and __call__."""

    def __init__(self, rng, wrong=False):
        self.w = mg.Tensor(rng.standard_normal((3, 2)), requires_grad=True)
        self.b = mg.Tensor(rng.standard_normal(2), requires_grad=True)
        self.wrong = wrong

    def named_parameters(self):
        return [("layer.weight", self.w), ("layer.bias", self.b)]

    def __call__(self, x):
        b = WrongAtOneElement(1)(self.b) if self.wrong else self.b * self.b
        return mg.tanh(x @ self.w + b)


def test_gradcheck_module_passes_a_correct_module(rng):
    mg.set_default_dtype(np.float64)
    module = TinyModule(rng)
    x = mg.Tensor(rng.standard_normal((4, 3)))
    assert mg.gradcheck_module(module, x)
    assert mg.gradcheck_module(module, (x,), loss_fn=lambda y: (y * y).mean())


def test_gradcheck_module_names_the_failing_parameter_and_restores_it(rng):
    module = TinyModule(rng, wrong=True)
    module.w.requires_grad = False  # frozen: still checked, then restored
    x = mg.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    x.grad = np.zeros((4, 3))
    w_before, b_before = module.w.data.copy(), module.b.data.copy()
    w_data = module.w.data
    expected = r"layer\.bias: worst element \(1,\)"
    with pytest.raises(mg.GradcheckError, match=expected) as info:
        mg.gradcheck_module(module, x)
    assert [f["name"] for f in info.value.failures] == ["layer.bias"]
    assert module.w.data is w_data
    np.testing.assert_array_equal(module.w.data, w_before)
    np.testing.assert_array_equal(module.b.data, b_before)
    assert module.w.grad is None and module.b.grad is None
    assert module.w.requires_grad is False
    np.testing.assert_array_equal(x.grad, 0.0)


def test_gradcheck_module_refuses_float32_parameters(rng):
    module = TinyModule(rng)
    module.w = mg.Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    with pytest.raises(ValueError, match="layer.weight is float32"):
        mg.gradcheck_module(module, mg.Tensor(np.ones((1, 3))))


def test_gradcheck_module_needs_parameters():
    class Empty:
        def named_parameters(self):
            return iter(())

    with pytest.raises(ValueError, match="no parameters"):
        mg.gradcheck_module(Empty(), mg.Tensor(np.ones(2)))
