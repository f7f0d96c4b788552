"""Every op: forward against NumPy, and backward against central differences
(float64, random non-scalar cotangent), including broadcasting, reductions
over chosen axes and integer-array indexing with repeats."""
import operator as op

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


A, P, K = "any", "positive", "away_from_zero"  # input domains for make()

# name -> (minigrad function, NumPy reference, [(shape, domain), ...])
CASES = {
    "add scalar": (op.add, np.add, [((3, 4), A), ((), A)]),
    "add (3,1)+(1,4)": (op.add, np.add, [((3, 1), A), ((1, 4), A)]),
    "add leading dims": (op.add, np.add, [((2, 3, 4), A), ((4,), A)]),
    "sub (3,1)-(1,4)": (op.sub, np.subtract, [((3, 1), A), ((1, 4), A)]),
    "sub leading": (op.sub, np.subtract, [((4,), A), ((2, 3, 4), A)]),
    "mul (3,1)*(1,4)": (op.mul, np.multiply, [((3, 1), A), ((1, 4), A)]),
    "mul scalar": (op.mul, np.multiply, [((), A), ((2, 3), A)]),
    "div (3,1)/(1,4)": (op.truediv, np.divide, [((3, 1), A), ((1, 4), P)]),
    "div leading": (op.truediv, np.divide, [((2, 1, 4), A), ((3, 1), P)]),
    "neg": (lambda a: -a, np.negative, [((3, 4), A)]),
    "pow tensor": (op.pow, np.power, [((3, 1), P), ((1, 4), A)]),
    "pow const": (lambda a: a**3, lambda a: a**3, [((3, 4), A)]),
    "rpow": (lambda a: 2.0**a, lambda a: 2.0**a, [((3, 4), A)]),
    "matmul 2d": (op.matmul, np.matmul, [((3, 4), A), ((4, 2), A)]),
    "matmul batch": (op.matmul, np.matmul, [((2, 3, 4), A), ((4, 5), A)]),
    "matmul bcast batch": (
        op.matmul, np.matmul, [((2, 1, 3, 4), A), ((5, 4, 2), A)]
    ),
    "matmul vec-mat": (op.matmul, np.matmul, [((4,), A), ((2, 4, 3), A)]),
    "matmul mat-vec": (op.matmul, np.matmul, [((2, 3, 4), A), ((4,), A)]),
    "matmul vec-vec": (op.matmul, np.matmul, [((4,), A), ((4,), A)]),
    "exp": (mg.exp, np.exp, [((3, 4), A)]),
    "log": (mg.log, np.log, [((3, 4), P)]),
    "sqrt": (mg.sqrt, np.sqrt, [((3, 4), P)]),
    "abs": (mg.abs, np.abs, [((3, 4), K)]),
    "tanh": (mg.tanh, np.tanh, [((3, 4), A)]),
    "sigmoid": (mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), [((3, 4), A)]),
    "relu": (mg.relu, lambda x: np.maximum(x, 0), [((3, 4), K)]),
    "clip": (
        lambda x: mg.clip(x, -0.5, 0.5),
        lambda x: np.clip(x, -0.5, 0.5),
        [((4, 5), K)],
    ),
    "clip lo only": (
        lambda x: mg.clip(x, 0.0, None),
        lambda x: np.clip(x, 0.0, None),
        [((4, 5), K)],
    ),
    "sum all": (mg.sum, np.sum, [((2, 3, 4), A)]),
    "sum axis": (
        lambda x: x.sum(axis=1), lambda x: x.sum(axis=1), [((2, 3, 4), A)]
    ),
    "sum neg axes keepdims": (
        lambda x: x.sum(axis=(0, -1), keepdims=True),
        lambda x: x.sum(axis=(0, -1), keepdims=True),
        [((2, 3, 4), A)],
    ),
    "mean all": (mg.mean, np.mean, [((2, 3, 4), A)]),
    "mean neg axis": (
        lambda x: x.mean(axis=-2), lambda x: x.mean(axis=-2), [((2, 3, 4), A)]
    ),
    "mean keepdims": (
        lambda x: x.mean(axis=(1, 2), keepdims=True),
        lambda x: x.mean(axis=(1, 2), keepdims=True),
        [((2, 3, 4), A)],
    ),
    "max all": (mg.max, np.max, [((2, 3, 4), A)]),
    "max neg axis": (
        lambda x: x.max(axis=-1), lambda x: x.max(axis=-1), [((2, 3, 4), A)]
    ),
    "max keepdims": (
        lambda x: x.max(axis=(0, 2), keepdims=True),
        lambda x: x.max(axis=(0, 2), keepdims=True),
        [((2, 3, 4), A)],
    ),
    "min axis": (
        lambda x: x.min(axis=0), lambda x: x.min(axis=0), [((2, 3, 4), A)]
    ),
    "reshape": (
        lambda x: x.reshape(4, -1), lambda x: x.reshape(4, -1), [((2, 3, 4), A)]
    ),
    "reshape tuple": (
        lambda x: mg.reshape(x, (3, 8)), lambda x: x.reshape(3, 8), [((2, 3, 4), A)]
    ),
    "transpose axes": (
        lambda x: x.transpose(2, 0, 1),
        lambda x: x.transpose(2, 0, 1),
        [((2, 3, 4), A)],
    ),
    "transpose default": (mg.transpose, np.transpose, [((2, 3, 4), A)]),
    ".T": (lambda x: x.T, lambda x: x.T, [((3, 4), A)]),
    "getitem basic": (
        lambda x: x[1:, None, ..., ::2], lambda x: x[1:, None, ..., ::2],
        [((3, 4, 5), A)],
    ),
    "getitem int": (lambda x: x[1], lambda x: x[1], [((3, 4), A)]),
    "getitem repeats": (
        lambda x: x[np.array([0, 2, 2, 0, 2])],
        lambda x: x[np.array([0, 2, 2, 0, 2])],
        [((3, 4), A)],
    ),
    "getitem list": (lambda x: x[[1, 1, 0]], lambda x: x[[1, 1, 0]], [((3, 4), A)]),
    "getitem pairs repeats": (
        lambda x: x[np.array([0, 1, 1, 1]), np.array([3, 2, 2, 2])],
        lambda x: x[np.array([0, 1, 1, 1]), np.array([3, 2, 2, 2])],
        [((3, 4), A)],
    ),
    "getitem int tensor": (
        lambda x: x[mg.Tensor(np.array([2, 2, 1]))],
        lambda x: x[np.array([2, 2, 1])],
        [((3, 4), A)],
    ),
    "getitem mixed": (
        lambda x: x[:, np.array([3, 0, 3])],
        lambda x: x[:, np.array([3, 0, 3])],
        [((2, 4), A)],
    ),
    "getitem bool mask": (
        lambda x: x[np.array([True, False, True])],
        lambda x: x[np.array([True, False, True])],
        [((3, 4), A)],
    ),
    "concatenate": (
        lambda a, b: mg.concatenate([a, b], axis=-1),
        lambda a, b: np.concatenate([a, b], axis=-1),
        [((2, 3), A), ((2, 5), A)],
    ),
    "concatenate axis0": (
        lambda a, b, c: mg.concatenate((a, b, c)),
        lambda a, b, c: np.concatenate((a, b, c)),
        [((1, 3), A), ((2, 3), A), ((4, 3), A)],
    ),
    "stack": (
        lambda a, b: mg.stack([a, b], axis=1),
        lambda a, b: np.stack([a, b], axis=1),
        [((2, 3), A), ((2, 3), A)],
    ),
    "stack neg axis": (
        lambda a, b, c: mg.stack([a, b, c], axis=-1),
        lambda a, b, c: np.stack([a, b, c], axis=-1),
        [((2, 3), A), ((2, 3), A), ((2, 3), A)],
    ),
    "where broadcast": (
        lambda a, b: mg.where(np.array([[True], [False], [True]]), a, b),
        lambda a, b: np.where(np.array([[True], [False], [True]]), a, b),
        [((1, 4), A), ((3, 1), A)],
    ),
    "maximum (3,1),(1,4)": (
        mg.maximum, np.maximum, [((3, 1), A), ((1, 4), A)]
    ),
    "minimum leading": (mg.minimum, np.minimum, [((2, 3, 4), A), ((4,), A)]),
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


def test_empty_index_list_gives_empty_result():
    x = mg.Tensor(np.ones((3, 2)), requires_grad=True)
    y = x[[]]
    assert y.shape == (0, 2)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((3, 2)))


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
        (2 < x, [False, False, True]),
        (x == mg.Tensor([1.0, 0.0, 3.0]), [True, False, True]),
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
