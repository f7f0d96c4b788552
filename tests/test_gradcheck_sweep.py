"""Every op in minigrad passes gradcheck in every mode -- element by element,
sampled and fast -- on generic inputs and on inputs that sit exactly on the
ops' kinks (zeros, ties, clip bounds), which the default kink-aware check
recognises. A last test makes sure no op is left out of the sweep."""
import importlib
import zlib

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function

A, P = "any", "positive"
GRID = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])  # zeros, ties, clip bounds


def leaf(rng, shape, domain, kinky):
    if domain == P:
        data = rng.uniform(0.5, 2.0, size=shape)
    elif kinky:
        data = rng.choice(GRID, size=shape)
    else:
        data = rng.standard_normal(shape)
    return mg.Tensor(data, requires_grad=True, dtype=np.float64)


def F():
    return importlib.import_module("minigrad.nn.functional")


LABELS = np.array([2, 0, 1, 2])
ROWS = np.array([[1, 0], [3, 3]])


def nn_cases():
    """Cases for the nn layer's ops (looked up when the test runs)."""
    f = F()
    return {
        "leaky_relu": (lambda x: f.leaky_relu(x, 0.1), [((3, 4), A)]),
        "gelu": (f.gelu, [((3, 4), A)]),
        "gelu tanh": (lambda x: f.gelu(x, approximate="tanh"), [((3, 4), A)]),
        "silu": (f.silu, [((3, 4), A)]),
        "elu": (f.elu, [((3, 4), A)]),
        "softplus": (lambda x: f.softplus(x, beta=2.0), [((3, 4), A)]),
        "logsumexp": (lambda x: f.logsumexp(x, axis=0), [((3, 4), A)]),
        "softmax": (f.softmax, [((3, 4), A)]),
        "log_softmax": (lambda x: f.log_softmax(x, axis=0), [((3, 4), A)]),
        "linear": (f.linear, [((2, 3), A), ((4, 3), A), ((4,), A)]),
        "embedding": (lambda w: f.embedding(ROWS, w), [((4, 3), A)]),
        "dropout eval": (lambda x: f.dropout(x, 0.5, training=False) * 2.0,
                         [((3, 4), A)]),
        "mse_loss": (f.mse_loss, [((4, 3), A), ((4, 3), A)]),
        "l1_loss": (f.l1_loss, [((4, 3), A), ((4, 3), A)]),
        "huber_loss": (f.huber_loss, [((4, 3), A), ((4, 3), A)]),
        "smooth_l1_loss": (f.smooth_l1_loss, [((4, 3), A), ((4, 3), A)]),
        "cross_entropy": (lambda z: f.cross_entropy(z, LABELS), [((4, 3), A)]),
        "nll_loss": (lambda z: f.nll_loss(f.log_softmax(z), LABELS),
                     [((4, 3), A)]),
        "bce_with_logits": (lambda z, t: f.binary_cross_entropy_with_logits(
            z, mg.sigmoid(t)), [((4, 3), A), ((4, 3), A)]),
        "batch_norm": (lambda x, w, b: f.batch_norm(x, weight=w, bias=b),
                       [((5, 3), A), ((3,), A), ((3,), A)]),
        "layer_norm": (lambda x, w, b: f.layer_norm(x, (3,), w, b),
                       [((5, 3), A), ((3,), A), ((3,), A)]),
    }


MATH = {
    "add": (lambda a, b: a + b, [((3, 1), A), ((1, 4), A)]),
    "sub": (lambda a, b: a - b, [((2, 3, 4), A), ((4,), A)]),
    "mul": (lambda a, b: a * b, [((3, 1), A), ((1, 4), A)]),
    "div": (lambda a, b: a / b, [((3, 4), A), ((4,), P)]),
    "neg": (lambda a: -a, [((3, 4), A)]),
    "pow tensor": (lambda a, b: a ** b, [((3, 1), P), ((1, 4), A)]),
    "pow const": (lambda a: a ** 3, [((3, 4), A)]),
    "matmul": (lambda a, b: a @ b, [((2, 3, 4), A), ((4, 2), A)]),
    "matmul vec": (lambda a, b: a @ b, [((4,), A), ((4, 3), A)]),
    "astype": (lambda a: a.astype(np.float64) * 1.0, [((3, 4), A)]),
    "exp": (mg.exp, [((3, 4), A)]),
    "log": (mg.log, [((3, 4), P)]),
    "sqrt": (mg.sqrt, [((3, 4), P)]),
    "abs": (mg.abs, [((3, 4), A)]),
    "tanh": (mg.tanh, [((3, 4), A)]),
    "sigmoid": (mg.sigmoid, [((3, 4), A)]),
    "relu": (mg.relu, [((3, 4), A)]),
    "clip": (lambda x: mg.clip(x, -0.5, 0.5), [((4, 5), A)]),
    "maximum": (mg.maximum, [((3, 1), A), ((1, 4), A)]),
    "minimum": (mg.minimum, [((2, 3, 4), A), ((4,), A)]),
    "where": (lambda a, b: mg.where(a.data > 0, a, b), [((3, 4), A), ((4,), A)]),
    "sum": (lambda x: x.sum(axis=1), [((2, 3, 4), A)]),
    "mean": (lambda x: x.mean(axis=(0, -1), keepdims=True), [((2, 3, 4), A)]),
    "max": (lambda x: x.max(axis=-1), [((2, 3, 4), A)]),
    "max all": (mg.max, [((3, 4), A)]),
    "min": (lambda x: x.min(axis=0), [((2, 3, 4), A)]),
    "reshape": (lambda x: x.reshape(4, -1), [((2, 3, 4), A)]),
    "transpose": (lambda x: x.transpose(2, 0, 1), [((2, 3, 4), A)]),
    "getitem basic": (lambda x: x[1:, None, ..., ::2], [((3, 4, 5), A)]),
    "getitem repeats": (lambda x: x[np.array([0, 2, 2, 0])], [((3, 4), A)]),
    "concatenate": (lambda a, b: mg.concatenate([a, b], axis=-1),
                    [((2, 3), A), ((2, 5), A)]),
    "stack": (lambda a, b: mg.stack([a, b], axis=1), [((2, 3), A), ((2, 3), A)]),
}


def engine_cases():
    """Ops that backward passes build (differentiable backward): undoing a
    broadcast, broadcasting, and indexing's adjoint."""
    ops_math = importlib.import_module("minigrad.ops_math")
    ops_shape = importlib.import_module("minigrad.ops_shape")
    if not hasattr(ops_shape, "Scatter"):
        return {}
    repeats = (np.array([0, 2, 2]),)
    return {
        "sum_to": (lambda x: ops_math.SumTo((1, 4))(x), [((3, 4), A)]),
        "broadcast_to": (lambda x: ops_math.BroadcastTo((3, 4))(x) * 1.0,
                         [((1, 4), A)]),
        "scatter": (lambda x: ops_shape.Scatter(repeats, True, (3, 4))(x),
                    [((3, 4), A)]),
        "scatter basic": (lambda x: ops_shape.Scatter(
            (slice(1, None),), False, (3, 4))(x), [((2, 4), A)]),
    }


MODES = {"full": {}, "sampled": {"samples": 3}, "fast": {"fast": True}}


def all_cases():
    return {**MATH, **nn_cases(), **engine_cases()}


@pytest.mark.parametrize("kinky", [False, True], ids=["generic", "at kinks"])
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("name", list(all_cases()))
def test_every_op_passes_in_every_mode(name, mode, kinky):
    fn, specs = all_cases()[name]
    rng = np.random.default_rng(zlib.crc32(f"{name} {mode} {kinky}".encode()))
    inputs = [leaf(rng, shape, domain, kinky) for shape, domain in specs]
    report = mg.testing.assert_gradcheck(fn, inputs, seed=3, **MODES[mode])
    assert report.passed and report.mode == mode


def functions_in_graph(out):
    seen, stack = set(), [out]
    while stack:
        t = stack.pop()
        if t.creator is not None and type(t.creator) not in seen:
            seen.add(type(t.creator))
            stack.extend(t.creator.inputs)
    return seen


# Function subclasses the sweep cannot check, and why.
NOT_SWEPT = {
    "Dropout": "draws a new random mask at every call, so the two sides of a "
               "check see different functions (swept in eval mode, where it "
               "is the identity)",
}


def test_the_sweep_covers_every_op_in_minigrad():
    for module in ("ops_math", "ops_shape", "nn.functional", "nn.losses",
                   "nn.normalization"):
        try:
            importlib.import_module("minigrad." + module)
        except ImportError:
            pass
    ops, stack = set(), [Function]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            public = not sub.__name__.startswith("_")
            abstract = sub.forward is Function.forward  # a base like Op
            if public and not abstract and sub.__module__.startswith(
                    "minigrad.") and not (
                    sub.__module__.startswith(("minigrad.cli", "minigrad.testing"))):
                ops.add(sub)
    rng = np.random.default_rng(0)
    covered = set()
    for fn, specs in all_cases().values():
        covered |= functions_in_graph(fn(*[leaf(rng, s, d, False)
                                           for s, d in specs]))
    missing = sorted(f"{op.__module__}.{op.__name__}" for op in ops - covered
                     if op.__name__ not in NOT_SWEPT)
    assert missing == [], (
        f"ops not in the gradcheck sweep: {missing}; add a case to MATH or "
        f"nn_cases() in {__file__}")
