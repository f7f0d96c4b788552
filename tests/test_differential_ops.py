"""Differential tests: random expression graphs, minigrad against PyTorch
float64 (forward values and every input's gradient).

A graph starts from one or two random leaves and applies 1-6 random ops:
elementwise math, broadcasting binary ops (against a new leaf of a
broadcastable shape), permutations written with negative axes, reshapes,
reductions over every axis form (int, negative, tuple, None, keepdims),
every NumPy indexing form (ints, slices with negative steps, None,
Ellipsis, integer arrays with repeats, lists, tuples of sequences, boolean
masks) and concatenation/stacking with every axis form. The result is
contracted with a random cotangent, so a gradient that is wrong anywhere
shows up.

For indexing, NumPy itself says which element goes where: torch gets the
same picks as a gather of flat positions (``np.arange(n)[index]``), so
the comparison tests minigrad's gradient bookkeeping (repeats added, views
routed back), not two libraries' readings of an index.

The default run is derandomized and bounded; ``pytest -m slow`` runs many
more examples (also reproducible).
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import minigrad as mg

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-10, 1e-12


class Node:
    """One value in both libraries."""

    def __init__(self, m, t):
        self.m, self.t = m, t

    @property
    def shape(self):
        return self.m.shape


def _leaf(draw, shape, leaves):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    data = rng.standard_normal(shape)
    if draw(st.booleans()):  # sometimes ties (for max/min/maximum)
        data = np.round(data)
    node = Node(mg.Tensor(data, requires_grad=True),
                torch.tensor(data, dtype=torch.float64, requires_grad=True))
    leaves.append(node)
    return node


small_shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)

UNARY = {
    "exp": (lambda m: mg.exp(mg.tanh(m)), lambda t: torch.exp(torch.tanh(t))),
    "log": (lambda m: mg.log(m * m + 1.0), lambda t: torch.log(t * t + 1.0)),
    "sqrt": (lambda m: mg.sqrt(m * m + 0.5), lambda t: torch.sqrt(t * t + 0.5)),
    "tanh": (mg.tanh, torch.tanh),
    "sigmoid": (mg.sigmoid, torch.sigmoid),
    "neg": (lambda m: -m, lambda t: -t),
    "abs": (mg.abs, torch.abs),
    "relu": (mg.relu, torch.relu),
    "square": (lambda m: m ** 2, lambda t: t ** 2),
    "cube": (lambda m: m ** 3.0, lambda t: t ** 3.0),
    "clip": (lambda m: mg.clip(m, -0.5, 1.0), lambda t: torch.clamp(t, -0.5, 1.0)),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1.0), lambda a, b: a / (b * b + 1.0)),
    "maximum": (mg.maximum, torch.maximum),
    "minimum": (mg.minimum, torch.minimum),
    "pow": (lambda a, b: (a * a + 0.5) ** b, lambda a, b: (a * a + 0.5) ** b),
}


def _axis_form(draw, ndim):
    """An axis argument in any form NumPy accepts (None, int, tuple), with
    negatives mixed in; for a 0-d tensor only None."""
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None
    sign = lambda a: a - ndim if draw(st.booleans()) else a  # noqa: E731
    if kind == "int":
        return sign(draw(st.integers(0, ndim - 1)))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                         unique=True))
    return tuple(sign(a) for a in axes)


def _index_part(draw, n):
    kind = draw(st.sampled_from(
        ["int", "slice", "full", "array", "list", "tuple", "mask"]))
    if kind == "int":
        return draw(st.integers(-n, n - 1))
    if kind == "slice":
        start = draw(st.one_of(st.none(), st.integers(-n, n)))
        stop = draw(st.one_of(st.none(), st.integers(-n - 1, n)))
        return slice(start, stop, draw(st.sampled_from([None, 1, 2, -1, -2])))
    if kind == "full":
        return slice(None)
    picks = draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4))
    if kind == "array":
        return np.array(picks)
    if kind == "list":
        return picks
    if kind == "tuple":  # a tuple inside the index tuple: advanced (NumPy)
        return tuple(picks)
    return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))


def _index(draw, shape):
    """Any NumPy index for an array of ``shape``."""
    if shape and draw(st.integers(0, 6)) == 0:  # one mask over everything
        return np.array(draw(st.lists(st.booleans(), min_size=int(np.prod(shape)),
                                      max_size=int(np.prod(shape))))).reshape(shape)
    k = draw(st.integers(0, len(shape)))
    parts = [_index_part(draw, n) for n in shape[:k]]
    if draw(st.booleans()):  # an Ellipsis for the rest (maybe in the middle)
        tail = draw(st.integers(0, len(shape) - k))
        parts += [Ellipsis] + [_index_part(draw, n) for n in shape[len(shape) - tail:]]
    for _ in range(draw(st.integers(0, 2))):  # new axes anywhere
        parts.insert(draw(st.integers(0, len(parts))), None)
    if len(parts) == 1 and draw(st.booleans()):
        return parts[0]  # a bare part, not a tuple
    return tuple(parts)


def _apply(draw, node, leaves):
    shape, ndim = node.shape, len(node.shape)
    kind = draw(st.sampled_from(
        ["unary", "binary", "permute", "reshape", "reduce", "index", "join",
         "matmul"]))
    if kind == "unary":
        fm, ft = UNARY[draw(st.sampled_from(sorted(UNARY)))]
        return Node(fm(node.m), ft(node.t))
    if kind == "binary":
        keep = draw(st.integers(0, ndim))
        other_shape = tuple(1 if draw(st.booleans()) else n
                            for n in shape[ndim - keep:])
        other = _leaf(draw, other_shape, leaves)
        fm, ft = BINARY[draw(st.sampled_from(sorted(BINARY)))]
        a, b = (node, other) if draw(st.booleans()) else (other, node)
        return Node(fm(a.m, b.m), ft(a.t, b.t))
    if kind == "permute":
        perm = draw(st.permutations(range(ndim)))
        axes = [a - ndim if draw(st.booleans()) else a for a in perm]
        if ndim and draw(st.booleans()):
            return Node(node.m.transpose(*axes), node.t.permute(tuple(axes)))
        return Node(node.m.T, node.t.permute(tuple(reversed(range(ndim)))))
    if kind == "reshape":
        size = int(np.prod(shape))
        target = draw(st.sampled_from([(size,), (-1, 1), (1, size), ()]
                                      if size == 1 else [(size,), (-1, 1), (1, -1)]))
        return Node(node.m.reshape(target), node.t.reshape(target))
    if kind == "reduce":
        name = draw(st.sampled_from(["sum", "mean", "max", "min"]))
        axis, keep = _axis_form(draw, ndim), draw(st.booleans())
        dims = tuple(range(ndim)) if axis is None else axis
        tfn = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax,
               "min": torch.amin}[name]
        return Node(getattr(node.m, name)(axis=axis, keepdims=keep),
                    tfn(node.t, dim=dims, keepdim=keep))
    if kind == "index":
        index = _index(draw, shape)
        try:
            flat = np.arange(int(np.prod(shape))).reshape(shape)[index]
        except IndexError:
            assume(False)
        return Node(node.m[index],
                    node.t.reshape(-1)[torch.from_numpy(np.array(flat))])
    if kind == "join":
        other = _leaf(draw, shape, leaves)
        parts = [node, other] if draw(st.booleans()) else [other, node, node]
        if draw(st.booleans()) or ndim == 0:
            axis = draw(st.integers(-ndim - 1, ndim))
            return Node(mg.stack([p.m for p in parts], axis=axis),
                        torch.stack([p.t for p in parts], dim=axis))
        axis = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1)))
        if axis is None:
            return Node(mg.concatenate([p.m for p in parts], axis=None),
                        torch.cat([p.t.reshape(-1) for p in parts]))
        return Node(mg.concatenate([p.m for p in parts], axis=axis),
                    torch.cat([p.t for p in parts], dim=axis))
    # matmul with a new leaf: vector or matrix on either side
    if ndim == 0:
        return node
    k = shape[-1]
    other = _leaf(draw, draw(st.sampled_from([(k,), (k, 2)])), leaves)
    return Node(node.m @ other.m, node.t @ other.t)


def check_random_graph(draw):
    leaves = []
    node = _leaf(draw, draw(small_shapes), leaves)
    for _ in range(draw(st.integers(1, 6))):
        node = _apply(draw, node, leaves)
        assume(0 < node.m.size <= 512 and node.m.ndim <= 5)
    np.testing.assert_allclose(node.m.data, node.t.detach().numpy(),
                               rtol=RTOL, atol=ATOL)
    cotangent = np.random.default_rng(draw(st.integers(0, 99))).standard_normal(
        node.shape)
    node.m.backward(cotangent)
    node.t.backward(torch.from_numpy(cotangent))
    for leaf in leaves:
        expected = leaf.t.grad
        if expected is None:  # not on the path to the result
            assert leaf.m.grad is None or not leaf.m.grad.any()
            continue
        np.testing.assert_allclose(leaf.m.grad, expected.numpy(), rtol=RTOL,
                                   atol=ATOL)


def check_second_order(draw):
    """The same random graphs, differentiated twice: the gradient of
    <f(x), c> (create_graph=True) contracted with random v, differentiated
    again, against torch (a Hessian-vector product through every op)."""
    leaves = []
    node = _leaf(draw, draw(small_shapes), leaves)
    for _ in range(draw(st.integers(1, 5))):
        node = _apply(draw, node, leaves)
        assume(0 < node.m.size <= 512 and node.m.ndim <= 5)
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    c = rng.standard_normal(node.shape)
    ms, ts = [leaf.m for leaf in leaves], [leaf.t for leaf in leaves]
    gm = mg.grad((node.m * c).sum(), ms, create_graph=True, allow_unused=True)
    gt = torch.autograd.grad((node.t * torch.from_numpy(c)).sum(), ts,
                             create_graph=True, allow_unused=True)
    vs = [rng.standard_normal(t.shape) for t in ms]
    terms_m = [(g * v).sum() for g, v in zip(gm, vs)
               if g is not None and g.requires_grad]
    terms_t = [(g * torch.from_numpy(v)).sum() for g, v in zip(gt, vs)
               if g is not None and g.requires_grad]
    hm = mg.grad(terms_m, ms, allow_unused=True) if terms_m else [None] * len(ms)
    ht = torch.autograd.grad(terms_t, ts, allow_unused=True) if terms_t \
        else [None] * len(ts)
    for a, b, t in zip(hm, ht, ms):
        got = np.zeros(t.shape) if a is None else a.data
        expected = (np.zeros(t.shape) if b is None or b._is_zerotensor()
                    else b.detach().numpy())  # (numpy() of a ZeroTensor crashes)
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def _settings(n):
    return settings(max_examples=n, deadline=None, database=None,
                    derandomize=True, suppress_health_check=list(HealthCheck))


@_settings(150)
@given(st.data())
def test_random_graphs_match_torch(data):
    check_random_graph(data.draw)


@pytest.mark.slow
@_settings(3000)
@given(st.data())
def test_random_graphs_match_torch_many(data):
    check_random_graph(data.draw)


@_settings(100)
@given(st.data())
def test_random_graphs_second_derivatives_match_torch(data):
    check_second_order(data.draw)


@pytest.mark.slow
@_settings(1500)
@given(st.data())
def test_random_graphs_second_derivatives_match_torch_many(data):
    check_second_order(data.draw)
