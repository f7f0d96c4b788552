"""Property tests: random shapes and random compositions of ops, gradchecked."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.functions import sum_to

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


@st.composite
def broadcastable_shape(draw, shape):
    """A shape that broadcasts to ``shape``: leading dims dropped, some set to 1."""
    keep = draw(st.integers(0, len(shape)))
    tail = shape[len(shape) - keep:]
    return tuple(1 if draw(st.booleans()) else n for n in tail)


# smooth ops only (no kinks a central difference could straddle)
UNARY = {
    "exp": lambda x: mg.exp(mg.tanh(x)),
    "log": lambda x: mg.log(x * x + 1.0),
    "sqrt": lambda x: mg.sqrt(x * x + 0.5),
    "tanh": mg.tanh,
    "sigmoid": mg.sigmoid,
    "neg": lambda x: -x,
    "square": lambda x: x**2,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
}


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_random_compositions_pass_gradcheck(data, seed):
    rng = np.random.default_rng(seed)
    shape = data.draw(shapes, label="shape")
    x = mg.Tensor(rng.standard_normal(shape), requires_grad=True, dtype=np.float64)
    others = []
    steps = data.draw(st.lists(
        st.sampled_from(["unary", "binary", "reduce", "reshape", "transpose"]),
        min_size=1, max_size=6,
    ), label="steps")
    plan = []  # (kind, choice) drawn up front so fn is a pure function
    cur_shape = shape
    for kind in steps:
        if kind == "unary":
            plan.append((kind, data.draw(st.sampled_from(sorted(UNARY)))))
        elif kind == "binary":
            other_shape = data.draw(broadcastable_shape(cur_shape))
            t = mg.Tensor(rng.standard_normal(other_shape), requires_grad=True,
                          dtype=np.float64)
            others.append(t)
            name = data.draw(st.sampled_from(sorted(BINARY)))
            left = data.draw(st.booleans())  # the new operand on the left?
            plan.append((kind, (name, len(others) - 1, left)))
        elif kind == "reduce" and cur_shape:
            axis = data.draw(st.integers(-len(cur_shape), len(cur_shape) - 1))
            keepdims = data.draw(st.booleans())
            op = data.draw(st.sampled_from(["sum", "mean", "max"]))
            plan.append((kind, (op, axis, keepdims)))
            cur_shape = np.empty(cur_shape).sum(axis=axis, keepdims=keepdims).shape
        elif kind == "reshape":
            plan.append((kind, None))
            cur_shape = (int(np.prod(cur_shape)),)
        elif kind == "transpose":
            plan.append((kind, None))
            cur_shape = cur_shape[::-1]

    def fn(x, *others):
        y = x
        for kind, choice in plan:
            if kind == "unary":
                y = UNARY[choice](y)
            elif kind == "binary":
                name, i, left = choice
                y = BINARY[name](others[i], y) if left else BINARY[name](y, others[i])
            elif kind == "reduce":
                op, axis, keepdims = choice
                y = getattr(y, op)(axis=axis, keepdims=keepdims)
            elif kind == "reshape":
                y = y.reshape(-1)
            else:
                y = y.T
        return y

    assert fn(x, *others).shape == cur_shape
    assert mg.gradcheck(fn, [x, *others])


@SETTINGS
@given(data=st.data())
def test_broadcast_gradient_counts_copies(data):
    """d/da sum(a + b) is the number of times each a element was copied."""
    out_shape = data.draw(shapes)
    a_shape = data.draw(broadcastable_shape(out_shape))
    b_shape = data.draw(broadcastable_shape(out_shape))
    a = mg.Tensor(np.zeros(a_shape), requires_grad=True, dtype=np.float64)
    b = mg.Tensor(np.zeros(b_shape), requires_grad=True, dtype=np.float64)
    y = a + b
    full = np.broadcast_shapes(a_shape, b_shape)
    assert y.shape == full
    y.sum().backward()
    copies = np.prod(full) / max(np.prod(a_shape), 1)
    np.testing.assert_allclose(a.grad, np.full(a_shape, copies))
    g = np.random.default_rng(0).standard_normal(full)
    np.testing.assert_allclose(
        sum_to(g, a_shape).sum(), g.sum(), rtol=1e-10, atol=1e-10
    )


@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
       seed=st.integers(0, 2**16), data=st.data())
def test_integer_index_with_repeats_gradchecks(shape, seed, data):
    rng = np.random.default_rng(seed)
    x = mg.Tensor(rng.standard_normal(shape), requires_grad=True, dtype=np.float64)
    n = data.draw(st.integers(1, 6))
    index = rng.integers(-shape[0], shape[0], size=n)
    counts = np.zeros(shape[0])
    np.add.at(counts, index, 1.0)
    x[index].sum().backward()
    expected = np.broadcast_to(counts.reshape((-1,) + (1,) * (len(shape) - 1)), shape)
    np.testing.assert_allclose(x.grad, expected)
    x.grad = None
    assert mg.gradcheck(lambda t: t[index] * t[index], [x])


@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple),
       seed=st.integers(0, 2**16), data=st.data())
def test_reductions_over_random_axes_match_numpy_and_gradcheck(shape, seed, data):
    rng = np.random.default_rng(seed)
    x = mg.Tensor(rng.standard_normal(shape), requires_grad=True, dtype=np.float64)
    ndim = len(shape)
    axes = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1,
                              max_size=ndim, unique_by=lambda a: a % ndim))
    axis = tuple(axes) if data.draw(st.booleans()) else axes[0]
    keepdims = data.draw(st.booleans())
    for name in ("sum", "mean", "max", "min"):
        got = getattr(x, name)(axis=axis, keepdims=keepdims)
        expected = getattr(np, name)(x.data, axis=axis, keepdims=keepdims)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got.data, expected, rtol=1e-12)
        assert mg.gradcheck(
            lambda t, name=name: getattr(t, name)(axis=axis, keepdims=keepdims), [x]
        )
