"""The cpu (@njit) and cuda (@cuda.jit, in Numba's simulator) kernels agree with
the NumPy reference on parameters AND every state buffer at every step.

Every rule and every option, float32 and float64, 20 steps, on parameters of
shapes (), (0,), (7,), (5, 3) and a non-contiguous view, all in one group (so
one kernel call updates tensors of every kind at once). float64 must agree to
1e-12 relative, float32 to a few ulps. (In practice they agree bit for bit,
except LAMB's norms: summed in float64 in another order on the cpu (8 lanes at
a time), in float32 on the GPU, where a 1e-7 change of the trust ratio moves
an element near 0 by a few ulps of the tensor's largest element rather than
of its own.)
"""
import numpy as np
import pytest

from minigrad import optim
from minigrad.nn import Parameter

CONFIGS = [
    (optim.SGD, {}),
    (optim.SGD, dict(momentum=0.9)),
    (optim.SGD, dict(momentum=0.9, dampening=0.3, weight_decay=0.1)),
    (optim.SGD, dict(momentum=0.9, nesterov=True, lr=0.01)),
    (optim.Momentum, {}),
    (optim.Momentum, dict(beta=0.5, weight_decay=0.1)),
    (optim.AdaGrad, {}),
    (optim.AdaGrad, dict(lr_decay=0.1)),
    (optim.AdaGrad, dict(initial_accumulator_value=0.5, weight_decay=0.1)),
    (optim.RMSProp, {}),
    (optim.RMSProp, dict(centered=True)),
    (optim.RMSProp, dict(momentum=0.5)),
    (optim.RMSProp, dict(centered=True, momentum=0.5, weight_decay=0.1)),
    (optim.Adam, {}),
    (optim.Adam, dict(amsgrad=True)),
    (optim.Adam, dict(weight_decay=0.1, lr=0.01)),
    (optim.AdamW, {}),
    (optim.AdamW, dict(amsgrad=True, weight_decay=0.05, lr=0.01)),
    (optim.LAMB, {}),
    (optim.LAMB, dict(weight_decay=0.1, lr=0.01)),
]
SHAPES = [(), (0,), (7,), (5, 3)]
DTYPES = [np.float32, np.float64]


def config_id(config):
    cls, kwargs = config
    options = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{cls.__name__}({options})"


def make_params(dtype):
    rng = np.random.default_rng(0)
    params = [Parameter(rng.standard_normal(s).astype(dtype)) for s in SHAPES]
    view = Parameter(np.zeros(4, dtype))
    view.data = rng.standard_normal((4, 2)).astype(dtype)[:, 1]  # stride 2
    assert not view.data.flags.c_contiguous
    return params + [view]


def trajectory(cls, kwargs, dtype, backend, steps=20):
    """Parameters and every state buffer after each step."""
    params = make_params(dtype)
    opt = cls(params, backend=backend, **kwargs)
    rng = np.random.default_rng(1)
    history = []
    for _ in range(steps):
        for p in params:
            p.grad = rng.standard_normal(p.shape).astype(dtype)
        opt.step()
        snapshot = {f"param{i}": p.data.copy() for i, p in enumerate(params)}
        for pid, entry in opt.state_dict()["state"].items():
            for name, value in entry.items():
                snapshot[f"{name}{pid}"] = np.copy(value)
        history.append(snapshot)
    return history


def assert_agree(expected, actual, dtype, ulps_of_largest=False):
    for step, (want, got) in enumerate(zip(expected, actual), start=1):
        assert want.keys() == got.keys()
        for key in want:
            where = f"step {step}, {key}"
            assert got[key].dtype == want[key].dtype, where
            if dtype == np.float32 and ulps_of_largest:
                scale = np.abs(want[key]).max(initial=0) * np.finfo(dtype).eps
                np.testing.assert_allclose(got[key], want[key], rtol=0,
                                           atol=4 * scale, err_msg=where)
            elif dtype == np.float32:
                np.testing.assert_array_max_ulp(got[key], want[key], maxulp=4,
                                                dtype=np.float32)
            else:
                np.testing.assert_allclose(got[key], want[key], rtol=1e-12,
                                           atol=0, err_msg=where)


_reference_cache = {}


def reference(config, dtype):
    key = (config_id(config), np.dtype(dtype).name)
    if key not in _reference_cache:
        _reference_cache[key] = trajectory(*config, dtype, "numpy")
    return _reference_cache[key]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_cpu_matches_numpy(config, dtype):
    assert_agree(reference(config, dtype), trajectory(*config, dtype, "cpu"),
                 dtype, ulps_of_largest=config[0] is optim.LAMB)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_cuda_simulator_matches_numpy(config, dtype):
    assert_agree(reference(config, dtype), trajectory(*config, dtype, "cuda"),
                 dtype, ulps_of_largest=config[0] is optim.LAMB)


def test_the_trajectories_move():
    """Guard against a vacuous comparison: parameters and state change."""
    history = reference(CONFIGS[14], np.float64)  # Adam(amsgrad)
    first, last = history[0], history[-1]
    for key in ("param2", "exp_avg3", "max_exp_avg_sq4"):
        assert not np.array_equal(first[key], last[key]), key
    assert "param1" in last and last["param1"].shape == (0,)


def test_view_parameter_is_updated_in_its_base():
    """A non-contiguous parameter is updated where it lives (in its base)."""
    for backend in ("cpu", "cuda"):
        base = np.ones((4, 2))
        p = Parameter(np.zeros(4))
        p.data = base[:, 0]
        opt = optim.SGD([p], lr=0.5, backend=backend)
        p.grad = np.ones(4)
        opt.step()
        np.testing.assert_array_equal(base[:, 0], 0.5)
        np.testing.assert_array_equal(base[:, 1], 1.0)


def test_mixed_dtypes_in_one_group():
    """float32 and float64 parameters may share a group; each keeps its dtype
    and matches the reference."""
    results = {}
    for backend in ("numpy", "cpu", "cuda"):
        a = Parameter(np.linspace(-1, 1, 6).astype(np.float32))
        b = Parameter(np.linspace(1, 2, 5))
        opt = optim.Adam([a, b], lr=0.1, backend=backend)
        for step in range(3):
            a.grad = (a.data * (step + 1)).astype(np.float32)
            b.grad = b.data * 0.5
            opt.step()
        results[backend] = (a.data.copy(), b.data.copy())
        assert a.data.dtype == np.float32 and b.data.dtype == np.float64
    for backend in ("cpu", "cuda"):
        for want, got in zip(results["numpy"], results[backend]):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("cls", [optim.SGD, optim.RMSProp, optim.Adam,
                                 optim.LAMB], ids=lambda c: c.__name__)
def test_tensors_split_across_work_items(cls, dtype):
    """Tensors large enough to be cut into several rows (and rows of several
    tensors in one work item): the cpu kernel still matches the reference,
    including LAMB's per-tensor norms summed over the pieces."""
    sizes = [70_000, 3, 40_000, 0, 100_001]
    results = []
    for backend in ("numpy", "cpu"):
        rng = np.random.default_rng(5)
        ps = [Parameter(rng.standard_normal(n).astype(dtype)) for n in sizes]
        opt = cls(ps, lr=0.01, backend=backend)
        for _ in range(3):
            for p in ps:
                p.grad = rng.standard_normal(p.shape).astype(dtype)
            opt.step()
        results.append([p.data for p in ps])
    work, rows = opt._buckets[0][0].rows(tuple(range(len(sizes))), 32768)
    assert len(work) > 3 and len(rows) > len(sizes)  # really split
    for want, got in zip(*results):
        if cls is optim.LAMB:
            scale = np.abs(want).max(initial=0) * np.finfo(dtype).eps
            np.testing.assert_allclose(got, want, rtol=0, atol=4 * scale)
        else:
            np.testing.assert_array_equal(got, want)


def test_chunk_rows_cover_every_element_once_in_equal_work_items():
    from minigrad.optim.kernels.layout import chunk_rows

    sizes = [5, 0, 17, 1, 0, 40, 3]
    work, rows = chunk_rows(sizes, 8)
    covered = [np.zeros(n, int) for n in sizes]
    for t, start, end in rows:
        assert 0 <= start < end <= sizes[t]
        covered[t][start:end] += 1
    assert all((c == 1).all() for c in covered)
    per_item = [sum(rows[r, 2] - rows[r, 1] for r in range(work[w], work[w + 1]))
                for w in range(len(work) - 1)]
    assert per_item[:-1] == [8] * (len(per_item) - 1)
    assert sum(per_item) == sum(sizes)
