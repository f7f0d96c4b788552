"""Every op: forward against NumPy, and backward against central differences
(float64, random non-scalar cotangent), including broadcasting, reductions
over chosen axes and integer-array indexing with repeats."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.functions import sum_to


def make(rng, shape, domain="any"):
    """A float64 leaf with values where the op is smooth (no kinks hit)."""
    if domain == "positive":
        data = rng.uniform(0.5, 2.0, size=shape)
    elif domain == "away_from_zero":  # abs/relu/clip: keep off the kinks
        data = rng.uniform(0.2, 1.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    else:
        data = rng.standard_normal(shape)
    return mg.Tensor(data, requires_grad=True, dtype=np.float64)


# name -> (minigrad function, NumPy reference, [(shape, domain), ...])
CASES = {
    "add scalar": (lambda a, b: a + b, np.add, [((3, 4), "any"), ((), "any")]),
    "add (3,1)+(1,4)": (lambda a, b: a + b, np.add, [((3, 1), "any"), ((1, 4), "any")]),
    "add leading dims": (lambda a, b: a + b, np.add, [((2, 3, 4), "any"), ((4,), "any")]),
    "sub (3,1)-(1,4)": (lambda a, b: a - b, np.subtract, [((3, 1), "any"), ((1, 4), "any")]),
    "sub leading": (lambda a, b: a - b, np.subtract, [((4,), "any"), ((2, 3, 4), "any")]),
    "mul (3,1)*(1,4)": (lambda a, b: a * b, np.multiply, [((3, 1), "any"), ((1, 4), "any")]),
    "mul scalar": (lambda a, b: a * b, np.multiply, [((), "any"), ((2, 3), "any")]),
    "div (3,1)/(1,4)": (lambda a, b: a / b, np.divide, [((3, 1), "any"), ((1, 4), "positive")]),
    "div leading": (lambda a, b: a / b, np.divide, [((2, 1, 4), "any"), ((3, 1), "positive")]),
    "neg": (lambda a: -a, np.negative, [((3, 4), "any")]),
    "pow tensor": (lambda a, b: a**b, np.power, [((3, 1), "positive"), ((1, 4), "any")]),
    "pow const": (lambda a: a**3, lambda a: a**3, [((3, 4), "any")]),
    "rpow": (lambda a: 2.0**a, lambda a: 2.0**a, [((3, 4), "any")]),
    "matmul 2d": (lambda a, b: a @ b, np.matmul, [((3, 4), "any"), ((4, 2), "any")]),
    "matmul batch": (lambda a, b: a @ b, np.matmul, [((2, 3, 4), "any"), ((4, 5), "any")]),
    "matmul bcast batch": (
        lambda a, b: a @ b, np.matmul, [((2, 1, 3, 4), "any"), ((5, 4, 2), "any")]
    ),
    "matmul vec-mat": (lambda a, b: a @ b, np.matmul, [((4,), "any"), ((2, 4, 3), "any")]),
    "matmul mat-vec": (lambda a, b: a @ b, np.matmul, [((2, 3, 4), "any"), ((4,), "any")]),
    "matmul vec-vec": (lambda a, b: a @ b, np.matmul, [((4,), "any"), ((4,), "any")]),
    "exp": (mg.exp, np.exp, [((3, 4), "any")]),
    "log": (mg.log, np.log, [((3, 4), "positive")]),
    "sqrt": (mg.sqrt, np.sqrt, [((3, 4), "positive")]),
    "abs": (mg.abs, np.abs, [((3, 4), "away_from_zero")]),
    "tanh": (mg.tanh, np.tanh, [((3, 4), "any")]),
    "sigmoid": (mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), [((3, 4), "any")]),
    "relu": (mg.relu, lambda x: np.maximum(x, 0), [((3, 4), "away_from_zero")]),
    "clip": (
        lambda x: mg.clip(x, -0.5, 0.5),
        lambda x: np.clip(x, -0.5, 0.5),
        [((4, 5), "away_from_zero")],
    ),
    "clip lo only": (
        lambda x: mg.clip(x, 0.0, None),
        lambda x: np.clip(x, 0.0, None),
        [((4, 5), "away_from_zero")],
    ),
    "sum all": (mg.sum, np.sum, [((2, 3, 4), "any")]),
    "sum axis": (
        lambda x: x.sum(axis=1), lambda x: x.sum(axis=1), [((2, 3, 4), "any")]
    ),
    "sum neg axes keepdims": (
        lambda x: x.sum(axis=(0, -1), keepdims=True),
        lambda x: x.sum(axis=(0, -1), keepdims=True),
        [((2, 3, 4), "any")],
    ),
    "mean all": (mg.mean, np.mean, [((2, 3, 4), "any")]),
    "mean neg axis": (
        lambda x: x.mean(axis=-2), lambda x: x.mean(axis=-2), [((2, 3, 4), "any")]
    ),
    "mean keepdims": (
        lambda x: x.mean(axis=(1, 2), keepdims=True),
        lambda x: x.mean(axis=(1, 2), keepdims=True),
        [((2, 3, 4), "any")],
    ),
    "max all": (mg.max, np.max, [((2, 3, 4), "any")]),
    "max neg axis": (
        lambda x: x.max(axis=-1), lambda x: x.max(axis=-1), [((2, 3, 4), "any")]
    ),
    "max keepdims": (
        lambda x: x.max(axis=(0, 2), keepdims=True),
        lambda x: x.max(axis=(0, 2), keepdims=True),
        [((2, 3, 4), "any")],
    ),
    "min axis": (
        lambda x: x.min(axis=0), lambda x: x.min(axis=0), [((2, 3, 4), "any")]
    ),
    "reshape": (
        lambda x: x.reshape(4, -1), lambda x: x.reshape(4, -1), [((2, 3, 4), "any")]
    ),
    "reshape tuple": (
        lambda x: mg.reshape(x, (3, 8)), lambda x: x.reshape(3, 8), [((2, 3, 4), "any")]
    ),
    "transpose axes": (
        lambda x: x.transpose(2, 0, 1),
        lambda x: x.transpose(2, 0, 1),
        [((2, 3, 4), "any")],
    ),
    "transpose default": (mg.transpose, np.transpose, [((2, 3, 4), "any")]),
    ".T": (lambda x: x.T, lambda x: x.T, [((3, 4), "any")]),
    "getitem basic": (
        lambda x: x[1:, None, ..., ::2], lambda x: x[1:, None, ..., ::2],
        [((3, 4, 5), "any")],
    ),
    "getitem int": (lambda x: x[1], lambda x: x[1], [((3, 4), "any")]),
    "getitem repeats": (
        lambda x: x[np.array([0, 2, 2, 0, 2])],
        lambda x: x[np.array([0, 2, 2, 0, 2])],
        [((3, 4), "any")],
    ),
    "getitem list": (lambda x: x[[1, 1, 0]], lambda x: x[[1, 1, 0]], [((3, 4), "any")]),
    "getitem pairs repeats": (
        lambda x: x[np.array([0, 1, 1, 1]), np.array([3, 2, 2, 2])],
        lambda x: x[np.array([0, 1, 1, 1]), np.array([3, 2, 2, 2])],
        [((3, 4), "any")],
    ),
    "getitem int tensor": (
        lambda x: x[mg.Tensor(np.array([2, 2, 1]))],
        lambda x: x[np.array([2, 2, 1])],
        [((3, 4), "any")],
    ),
    "getitem mixed": (
        lambda x: x[:, np.array([3, 0, 3])],
        lambda x: x[:, np.array([3, 0, 3])],
        [((2, 4), "any")],
    ),
    "getitem bool mask": (
        lambda x: x[np.array([True, False, True])],
        lambda x: x[np.array([True, False, True])],
        [((3, 4), "any")],
    ),
    "concatenate": (
        lambda a, b: mg.concatenate([a, b], axis=-1),
        lambda a, b: np.concatenate([a, b], axis=-1),
        [((2, 3), "any"), ((2, 5), "any")],
    ),
    "concatenate axis0": (
        lambda a, b, c: mg.concatenate((a, b, c)),
        lambda a, b, c: np.concatenate((a, b, c)),
        [((1, 3), "any"), ((2, 3), "any"), ((4, 3), "any")],
    ),
    "stack": (
        lambda a, b: mg.stack([a, b], axis=1),
        lambda a, b: np.stack([a, b], axis=1),
        [((2, 3), "any"), ((2, 3), "any")],
    ),
    "stack neg axis": (
        lambda a, b, c: mg.stack([a, b, c], axis=-1),
        lambda a, b, c: np.stack([a, b, c], axis=-1),
        [((2, 3), "any"), ((2, 3), "any"), ((2, 3), "any")],
    ),
    "where broadcast": (
        lambda a, b: mg.where(np.array([[True], [False], [True]]), a, b),
        lambda a, b: np.where(np.array([[True], [False], [True]]), a, b),
        [((1, 4), "any"), ((3, 1), "any")],
    ),
    "maximum (3,1),(1,4)": (
        mg.maximum, np.maximum, [((3, 1), "any"), ((1, 4), "any")]
    ),
    "minimum leading": (mg.minimum, np.minimum, [((2, 3, 4), "any"), ((4,), "any")]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_forward_matches_numpy(name, rng):
    fn, reference, specs = CASES[name]
    inputs = [make(rng, shape, domain) for shape, domain in specs]
    out = fn(*inputs)
    expected = reference(*[t.data for t in inputs])
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(name, rng):
    fn, _, specs = CASES[name]
    inputs = [make(rng, shape, domain) for shape, domain in specs]
    assert mg.gradcheck(fn, inputs)


@pytest.mark.parametrize("name", list(CASES))
def test_float32_forward_keeps_dtype(name, rng):
    fn, _, specs = CASES[name]
    inputs = [
        mg.Tensor(make(rng, shape, domain).data.astype(np.float32), requires_grad=True)
        for shape, domain in specs
    ]
    out = fn(*inputs)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, np.float32))
    for t in inputs:
        assert t.grad.dtype == np.float32 and t.grad.shape == t.shape


def test_sum_to_undoes_broadcasting(rng):
    g = rng.standard_normal((2, 3, 4))
    assert sum_to(g, (2, 3, 4)) is g
    np.testing.assert_allclose(sum_to(g, (3, 1)), g.sum(axis=(0, 2))[:, None])
    np.testing.assert_allclose(sum_to(g, (4,)), g.sum(axis=(0, 1)))
    np.testing.assert_allclose(sum_to(g, ()), g.sum())
    np.testing.assert_allclose(sum_to(g, (1, 3, 1)), g.sum(axis=(0, 2), keepdims=True))


def test_repeated_index_accumulates():
    x = mg.Tensor(np.zeros(4), requires_grad=True)
    x[np.array([1, 1, 1, 3])].sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 3, 0, 1])


@pytest.mark.parametrize("reduce", ["max", "min"])
def test_max_min_ties_split_the_gradient_evenly(reduce):
    x = mg.Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    if reduce == "min":
        x = mg.Tensor(-x.data, requires_grad=True)
    getattr(x, reduce)(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_maximum_tie_splits_evenly():
    a = mg.Tensor([1.0, 2.0], requires_grad=True)
    b = mg.Tensor([1.0, 1.0], requires_grad=True)
    mg.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad, [0.5, 1.0])
    np.testing.assert_allclose(b.grad, [0.5, 0.0])


def test_sigmoid_is_stable_for_large_inputs():
    x = mg.Tensor([-1000.0, 0.0, 1000.0], requires_grad=True, dtype=np.float64)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = mg.sigmoid(x)
        y.sum().backward()
    np.testing.assert_allclose(y.data, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(x.grad, [0.0, 0.25, 0.0])


def test_kinks_follow_the_documented_convention():
    x = mg.Tensor([-1.0, 0.0, 1.0], requires_grad=True)
    (mg.relu(x) + mg.abs(x)).sum().backward()
    np.testing.assert_array_equal(x.grad, [-1.0, 0.0, 2.0])
    c = mg.Tensor([-1.0, 0.0, 1.0], requires_grad=True)
    c.clip(0.0, 1.0).sum().backward()  # bounds are inside: gradient 1
    np.testing.assert_array_equal(c.grad, [0.0, 1.0, 1.0])


def test_pow_gradient_wrt_exponent_is_zero_at_zero_base():
    a = mg.Tensor([0.0, 4.0], dtype=np.float64)
    b = mg.Tensor([2.0, 0.5], requires_grad=True, dtype=np.float64)
    (a**b).sum().backward()
    np.testing.assert_allclose(b.grad, [0.0, 2.0 * np.log(4.0)])


def test_comparisons_are_boolean_without_grad():
    x = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [
        (x > 2, [False, False, True]), (x >= 2, [False, True, True]),
        (x < 2, [True, False, False]), (x <= 2, [True, True, False]),
        (x == 2, [False, True, False]), (x != 2, [True, False, True]),
        (2 < x, [False, False, True]), (x == mg.Tensor([1.0, 0.0, 3.0]), [True, False, True]),
    ]:
        assert result.dtype == bool and not result.requires_grad
        np.testing.assert_array_equal(result.data, expected)


def test_scalars_keep_the_tensor_dtype():
    x = mg.Tensor(np.ones(3, np.float32))
    for y in (x + 1, 2 * x, x / 3.0, x**2, 1 - x, x * np.float64(0.5), 2.0**x):
        assert y.dtype == np.float32
    assert (x + np.ones(3)).dtype == np.float64  # arrays promote as in NumPy


def test_astype():
    x = mg.Tensor(np.array([1.5, 2.5]), requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32 and y.creator.label == "cast"
    (y * 2.0).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    k = x.astype(np.int64)
    assert k.dtype == np.int64 and not k.requires_grad
    with pytest.raises(TypeError, match="float16"):
        x.astype(np.float16)


def test_integer_tensors_work_as_constants():
    x = mg.Tensor(np.array([1.5, 2.5]), requires_grad=True)
    k = mg.Tensor(np.array([2, 3]))
    (x * k).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 3.0])
    assert (k + 1).dtype.kind == "i"
