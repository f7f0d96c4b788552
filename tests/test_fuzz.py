"""Hypothesis fuzz of the public API with bad values.

Every call either succeeds or raises one of the documented exception types
(ValueError, TypeError, IndexError, KeyError, RuntimeError, or minigrad's own
errors, which subclass them), raised by minigrad itself -- the innermost frame
of the traceback is minigrad's code, not NumPy's or Numba's -- with a message.
(Python's own errors at the call, such as "'<' not supported between ...",
have the caller as innermost frame and are fine too.)
A call that fails leaves the model and the optimizer exactly as they were.

Each target runs a few dozen examples by default (derandomized, so the default
run is reproducible); the ``slow`` twin of each runs 20 times more, afresh.
"""
import math
import os
import tempfile
import traceback
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

nn = pytest.importorskip("minigrad.nn")
optim = pytest.importorskip("minigrad.optim")
from minigrad import data  # noqa: E402
from minigrad.nn import functional as F  # noqa: E402
from minigrad.optim import lr_scheduler  # noqa: E402

PACKAGE_DIR = os.path.dirname(os.path.abspath(mg.__file__)) + os.sep
# minigrad's own: GradcheckError, AnomalyError, CheckpointError, and the
# FloatingPointError that optimizers document for on_nonfinite="raise"
ALLOWED = (ValueError, TypeError, IndexError, KeyError, RuntimeError,
           mg.GradcheckError, mg.AnomalyError, mg.CheckpointError,
           FloatingPointError)
NAN, INF = float("nan"), float("inf")

# --------------------------------------------------------------- bad values
WEIRD = st.one_of(
    st.sampled_from([
        NAN, INF, -INF, -1, -1e-3, 0, 0.0, -0.0, 1, 2.5, 1e300, 2**64, True, False,
        None, "0.1", "", b"x", 1 + 1j, np.float16(0.5), np.float32(NAN),
        np.int64(-3), np.array(0.1), np.array([0.1, 0.2]), [], [0.9], (0.9,),
        (0.9, 0.999, 0.1), (NAN, 0.9), (0.9, 1.0), (-0.1, 0.9), {}, {1, 2},
        np.array([1, None], dtype=object), "cuda", "relu", "mean",
    ]),
    st.floats(), st.integers(-5, 40),
)
DTYPES = st.sampled_from([np.float16, np.float32, np.float64, np.int8, np.int64,
                          np.uint8, np.bool_, np.complex64, np.complex128])
ARRAYS = hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0,
                                              max_side=4))
ANYTHING = st.one_of(WEIRD, ARRAYS)


def attempt(fn, *args, **kwargs):
    """Run ``fn``; return (result, None) or (None, the documented error).

    Casts that silently destroy input (complex -> real drops the imaginary
    part, NaN -> int makes up a number) count as crashes: bad input must be
    refused, not mangled. (Arithmetic making NaN/Inf is fine: those are values.)
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            warnings.filterwarnings("error", "invalid value encountered in cast")
            return fn(*args, **kwargs), None
    except ALLOWED as error:
        frames = traceback.extract_tb(error.__traceback__)
        innermost = frames[-1]
        where = f"{innermost.filename}:{innermost.lineno}"
        assert innermost.filename.startswith(PACKAGE_DIR) or (
            innermost.filename == __file__), (
            f"{type(error).__name__} raised deep inside {where}, not by minigrad: "
            f"{error}"
        )
        assert str(error).strip(), f"{type(error).__name__} without a message"
        return None, error


def snapshot(model=None, opt=None):
    """Copies of everything a failed call must not change."""
    state = {}
    if model is not None:
        state["params"] = [p.data.copy() for p in model.parameters()]
        state["grads"] = [_copy(p.grad) for p in model.parameters()]
    if opt is not None:
        state["opt"] = _copy(opt.state_dict())
        state["groups"] = _copy([{k: v for k, v in g.items() if k != "params"}
                                 for g in opt.param_groups])
    return state


def _copy(tree):
    if isinstance(tree, dict):
        return {k: _copy(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_copy(v) for v in tree)
    if isinstance(tree, np.ndarray):
        return tree.copy()
    return tree


def same(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(
            same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    arrays = (np.ndarray, np.generic)
    if isinstance(a, arrays) or isinstance(b, arrays):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


def fuzz(examples=40):
    """Turn ``check(draw)`` into a default test and a slow, longer twin."""
    def wrap(check):
        def make(n, derandomize):
            @settings(max_examples=n, deadline=None, database=None,
                      derandomize=derandomize,
                      suppress_health_check=list(HealthCheck))
            @given(st.data())
            def test(drawer):
                check(drawer.draw)
            return test
        # Both runs are reproducible, so CI never fails by chance; set
        # MINIGRAD_FUZZ_EXPLORE=1 to make the slow run draw fresh examples.
        explore = bool(os.environ.get("MINIGRAD_FUZZ_EXPLORE"))
        fast = make(examples, derandomize=True)
        slow = pytest.mark.slow(make(20 * examples, derandomize=not explore))
        return fast, slow
    return wrap


# ------------------------------------------------------------------ tensors
def _tensor_ops(t, other):
    return {
        "add": lambda: t + other, "mul": lambda: t * other,
        "div": lambda: t / other, "pow": lambda: t ** other,
        "matmul": lambda: t @ other, "rsub": lambda: other - t,
        "sum": lambda: t.sum(axis=other), "mean": lambda: t.mean(axis=other),
        "max": lambda: t.max(axis=other), "reshape": lambda: t.reshape(other),
        "transpose": lambda: t.transpose(other), "getitem": lambda: t[other],
        "clip": lambda: t.clip(other, 1.0), "backward": lambda: t.backward(other),
        "concat": lambda: mg.concatenate([t, other]),
        "where": lambda: mg.where(other, t, t), "maximum": lambda: mg.maximum(t, other),
        "compare": lambda: t < other, "exp": lambda: mg.exp(other),
        "stack": lambda: mg.stack([t, other], axis=0),
        "minimum": lambda: mg.minimum(other, t),
        "retain": lambda: (t * 2).sum().backward(retain_graph=other),
        "requires_grad_": lambda: t.detach().requires_grad_(other),
    }


def check_tensors(draw):
    made, _ = attempt(mg.Tensor, draw(ANYTHING), requires_grad=draw(WEIRD),
                      dtype=draw(st.sampled_from([None, np.float32, np.float16,
                                                  "float64", int, object, "x"])))
    base = draw(hnp.arrays(st.sampled_from([np.float32, np.float64]),
                           hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
                           elements=st.floats(-3, 3, width=32)))
    t = mg.Tensor(base, requires_grad=True)
    name = draw(st.sampled_from(sorted(_tensor_ops(t, None))))
    attempt(_tensor_ops(t, draw(ANYTHING))[name])
    assert np.array_equal(t.data, base)  # nothing changes the leaf's values


test_tensors_fuzz, test_tensors_fuzz_slow = fuzz(80)(check_tensors)


# ------------------------------------------------------------ nn and losses
def check_layers(draw):
    attempt(nn.Linear, draw(WEIRD), draw(WEIRD), bias=draw(WEIRD))
    attempt(nn.MLP, draw(st.one_of(WEIRD, st.lists(WEIRD, max_size=4))),
            activation=draw(WEIRD))
    model = nn.MLP([3, 4, 2])
    before = snapshot(model)
    x = draw(st.one_of(ANYTHING, hnp.arrays(DTYPES, st.sampled_from(
        [(0, 3), (2, 3), (3,), (2, 4), (2, 3, 1)]))))
    attempt(model, x)
    assert same(before, snapshot(model))  # a forward pass changes nothing


def _bad_state(state):
    """A state dict with one entry dropped, renamed, reshaped or retyped."""
    key = st.sampled_from(list(state))
    return st.one_of(
        key.map(lambda k: {n: v for n, v in state.items() if n != k}),
        key.map(lambda k: dict(state, **{k + "x": state[k]})),
        st.tuples(key, ANYTHING).map(lambda kv: dict(state, **{kv[0]: kv[1]})),
        WEIRD,
    )


def check_failed_load_changes_nothing(draw):
    model = nn.MLP([3, 4, 2])
    before = snapshot(model)
    _, error = attempt(model.load_state_dict, draw(_bad_state(model.state_dict())))
    if error is not None:
        assert same(before, snapshot(model)), f"changed by a failed load: {error}"


test_module_state_fuzz, test_module_state_fuzz_slow = fuzz(60)(
    check_failed_load_changes_nothing)
test_layers_fuzz, test_layers_fuzz_slow = fuzz(60)(check_layers)

LOSSES = {
    "mse": lambda a, b, r: F.mse_loss(a, b, reduction=r),
    "cross_entropy": lambda a, b, r: F.cross_entropy(a, b, reduction=r),
    "bce": lambda a, b, r: F.binary_cross_entropy_with_logits(a, b, reduction=r),
    "softmax": lambda a, b, r: F.softmax(a, axis=b),
    "log_softmax": lambda a, b, r: F.log_softmax(a, axis=b),
    "leaky_relu": lambda a, b, r: F.leaky_relu(a, b),
    "clip_norm": lambda a, b, r: nn.utils.clip_grad_norm_(a, b),
}


def check_losses(draw):
    good = draw(hnp.arrays(np.float32, st.sampled_from([(4, 3), (4,), (0, 3)]),
                           elements=st.floats(-50, 50, width=32)))
    first = draw(st.one_of(st.just(mg.Tensor(good, requires_grad=True)), ANYTHING))
    second = draw(st.one_of(ANYTHING, st.just(np.array([0, 2, 1, 5])),
                            st.just(np.array([0, -1, 1, 2])), st.just(good)))
    loss, error = attempt(LOSSES[draw(st.sampled_from(sorted(LOSSES)))],
                          first, second, draw(WEIRD))
    if isinstance(loss, mg.Tensor) and loss.requires_grad and loss.size == 1:
        attempt(loss.backward)


test_losses_fuzz, test_losses_fuzz_slow = fuzz(80)(check_losses)


# --------------------------------------------------------------- optimizers
HYPER = {
    "SGD": ["lr", "momentum", "dampening", "nesterov", "weight_decay"],
    "Momentum": ["lr", "beta", "weight_decay"],
    "AdaGrad": ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"],
    "RMSProp": ["lr", "alpha", "eps", "weight_decay", "momentum", "centered"],
    "Adam": ["lr", "betas", "eps", "weight_decay", "amsgrad"],
    "AdamW": ["lr", "betas", "eps", "weight_decay", "amsgrad"],
    "LAMB": ["lr", "betas", "eps", "weight_decay"],
}


def _nan_inside(value):
    values = value if isinstance(value, tuple) else (value,)
    return any(isinstance(v, (float, np.floating)) and math.isnan(v) for v in values)


def check_optimizer_construction(draw):
    name = draw(st.sampled_from(sorted(HYPER)))
    key = draw(st.sampled_from(HYPER[name] + ["backend", "on_nonfinite"]))
    value = draw(WEIRD)
    model = nn.MLP([3, 2])
    opt, error = attempt(getattr(optim, name), model.parameters(), **{key: value})
    if _nan_inside(value):
        assert error is not None, f"{name}({key}={value!r}) accepted a NaN"
    params = draw(st.sampled_from([[], set(model.parameters()), [1.0, 2.0],
                                   [mg.Tensor([1.0])], [{"lr": 0.1}],
                                   [{"params": model.parameters(), "lr": NAN}],
                                   list(model.parameters()) * 2, None, "params"]))
    opt, error = attempt(getattr(optim, name), params)


test_optimizer_construction_fuzz, test_optimizer_construction_fuzz_slow = fuzz(80)(
    check_optimizer_construction)


def check_optimizer_step(draw):
    name = draw(st.sampled_from(sorted(HYPER)))
    backend = draw(st.sampled_from(["numpy", "cpu"]))
    model = nn.MLP([3, 2])
    on_nonfinite = draw(st.sampled_from([None, "raise", "skip"]))
    opt = getattr(optim, name)(model.parameters(), lr=0.1, backend=backend,
                               on_nonfinite=on_nonfinite)
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    opt.step()  # some state to protect
    bad_grad = draw(st.one_of(ARRAYS, WEIRD, st.just(np.full((2, 3), NAN, np.float32)),
                              st.just(np.ones((3, 2), np.float32))))
    victim = draw(st.sampled_from(list(model.parameters())))
    victim.grad = bad_grad
    before = snapshot(model, opt)
    _, error = attempt(opt.step)
    refused_nan = on_nonfinite is not None and isinstance(bad_grad, np.ndarray) \
        and bad_grad.dtype.kind == "f" and not np.isfinite(bad_grad).all()
    if error is not None or refused_nan:
        after = snapshot(model, opt)
        changed = [k for k in before if not same(before[k], after[k])]
        assert not changed, f"{name} ({backend}) step changed {changed}: {error}"
    opt2 = getattr(optim, name)(model.parameters(), backend=backend)
    before = snapshot(model, opt2)
    _, error = attempt(opt2.load_state_dict, draw(_bad_optimizer_state(opt)))
    if error is not None:
        assert same(before, snapshot(model, opt2)), f"{name} load changed: {error}"


def _bad_optimizer_state(opt):
    state = opt.state_dict()

    def mutate(choice_value):
        choice, value = choice_value
        bad = _copy(state)
        if choice == "drop_state":
            bad.pop("state", None)
        elif choice == "state_entry" and bad.get("state"):
            first = next(iter(bad["state"]))
            entry = bad["state"][first]
            if isinstance(entry, dict) and entry:
                entry[next(iter(entry))] = value
        elif choice == "groups" and bad.get("param_groups"):
            bad["param_groups"][0]["lr"] = value
        elif choice == "params" and bad.get("param_groups"):
            bad["param_groups"][0]["params"] = value
        elif choice == "key" and bad.get("state"):
            bad["state"] = {value if isinstance(value, int) else 99: v
                            for v in bad["state"].values()}
        return bad

    return st.one_of(
        st.tuples(st.sampled_from(["drop_state", "state_entry", "groups", "params",
                                   "key"]), ANYTHING).map(mutate),
        WEIRD,
    )


test_optimizer_step_fuzz, test_optimizer_step_fuzz_slow = fuzz(60)(check_optimizer_step)


def check_schedulers(draw):
    model = nn.MLP([3, 2])
    opt = optim.SGD(model.parameters(), lr=0.1, backend="numpy")
    kind = draw(st.sampled_from(["step", "cosine", "warmup"]))
    a, b = draw(WEIRD), draw(WEIRD)
    make = {"step": lambda: lr_scheduler.StepLR(opt, a, gamma=b),
            "cosine": lambda: lr_scheduler.CosineAnnealingLR(opt, a, eta_min=b),
            "warmup": lambda: lr_scheduler.LinearWarmup(opt, a)}[kind]
    scheduler, error = attempt(make)
    if _nan_inside(a) or (kind != "warmup" and _nan_inside(b)):
        assert error is not None, f"{kind} accepted NaN ({a!r}, {b!r})"
    if scheduler is not None:
        for _ in range(3):
            before = (scheduler.last_epoch, scheduler.get_last_lr())
            _, error = attempt(scheduler.step)
            if error is not None:  # a rate that overflows: refused, nothing moved
                assert isinstance(error, ValueError), error
                assert (scheduler.last_epoch, scheduler.get_last_lr()) == before
                assert [g["lr"] for g in opt.param_groups] == before[1]
                break
        assert all(math.isfinite(lr) for lr in scheduler.get_last_lr())
        attempt(scheduler.load_state_dict, draw(WEIRD))


test_scheduler_fuzz, test_scheduler_fuzz_slow = fuzz(60)(check_schedulers)


# --------------------------------------------------------------------- data
MAKERS = ["make_moons", "make_circles", "make_spirals", "make_xor", "make_blobs"]


def check_data(draw):
    maker = getattr(data, draw(st.sampled_from(MAKERS)))
    result, error = attempt(maker, draw(WEIRD), noise=draw(WEIRD), seed=draw(WEIRD))
    if result is not None:
        X, y = result
        assert len(X) == len(y) and np.isfinite(X).all()
    X = draw(st.one_of(ANYTHING, st.just(np.zeros((0, 2), np.float32)),
                       st.just(np.ones((5, 2), np.float32))))
    y = draw(st.one_of(ANYTHING, st.just(np.arange(5))))
    loader, error = attempt(data.DataLoader, X, y, draw(WEIRD),
                            shuffle=draw(WEIRD), seed=draw(WEIRD))
    if loader is not None:
        batches = list(loader)
        assert len(batches) == len(loader) and len(batches) > 0
        attempt(loader.load_state_dict, draw(st.one_of(WEIRD, st.fixed_dictionaries(
            {"seed": WEIRD, "epoch": WEIRD, "batch": WEIRD, "shuffle": WEIRD}))))


test_data_fuzz, test_data_fuzz_slow = fuzz(80)(check_data)


def check_config(draw):
    before = mg.get_default_dtype()
    try:
        attempt(mg.set_default_dtype, draw(st.one_of(WEIRD, DTYPES)))
        assert np.dtype(mg.get_default_dtype()) in (np.float32, np.float64)
    finally:
        mg.set_default_dtype(before)
    attempt(mg.manual_seed, draw(WEIRD))


test_config_fuzz, test_config_fuzz_slow = fuzz(40)(check_config)


# -------------------------------------------------------- checkpoints, tools
def check_checkpoints(draw):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "ckpt.npz")
        attempt(mg.save, {"x": draw(ANYTHING), "y": [draw(WEIRD)]}, path)
        with open(path, "wb") as f:
            f.write(draw(st.binary(max_size=300)))
        _, error = attempt(mg.load, path)
        assert isinstance(error, mg.CheckpointError)


test_checkpoint_fuzz, test_checkpoint_fuzz_slow = fuzz(60)(check_checkpoints)


def check_gradcheck(draw):
    x = draw(st.one_of(ANYTHING, st.just(mg.Tensor(np.ones(3), requires_grad=True)),
                       st.just(mg.Tensor(np.ones(3, np.float32), requires_grad=True))))
    inputs = x if isinstance(x, list) else [x]
    attempt(mg.gradcheck, lambda t: (t * t).sum(), inputs, eps=draw(WEIRD))


test_gradcheck_fuzz, test_gradcheck_fuzz_slow = fuzz(40)(check_gradcheck)
