"""Small buckets pack their gradients into one flat array every step
(``kernels/layout.py``: ``PACK_LIMIT``). Packing is a copy made fresh each
step, so it must give bit-for-bit the steps of the unpacked path, see every
change to a gradient, and refuse a bad gradient without changing anything."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.optim.kernels import layout

RULES = [
    (mg.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    (mg.optim.Momentum, dict(lr=0.1)),
    (mg.optim.AdaGrad, dict(lr=0.1)),
    (mg.optim.RMSProp, dict(lr=0.01, centered=True, momentum=0.5)),
    (mg.optim.Adam, dict(lr=0.01, amsgrad=True)),
    (mg.optim.AdamW, dict(lr=0.01)),
    (mg.optim.LAMB, dict(lr=0.01)),
]


def _trajectory(cls, kwargs, backend, limit, monkeypatch, zero_grad_to_none):
    monkeypatch.setattr(layout, "PACK_LIMIT", limit)
    rng = np.random.default_rng(0)
    shapes = [(4, 3), (3,), (2, 2, 2), ()]
    params = [mg.Tensor(rng.standard_normal(s).astype(np.float32),
                        requires_grad=True) for s in shapes]
    grads = [rng.standard_normal((12,) + s).astype(np.float32) for s in shapes]
    opt = cls(params, backend=backend, **kwargs)
    seen = []
    for step in range(12):
        opt.zero_grad(set_to_none=zero_grad_to_none)
        for p, g in zip(params, grads):
            if p.grad is None:
                p.grad = np.array(g[step])
            else:
                p.grad[...] = g[step]  # same array, new values
        if step == 5:
            params[1].grad = None  # skipped this step
        opt.step()
        seen.append([p.data.copy() for p in params])
    return seen, opt


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
@pytest.mark.parametrize("cls, kwargs", RULES, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("to_none", [True, False])
def test_packed_steps_equal_unpacked_steps_bit_for_bit(cls, kwargs, backend,
                                                       to_none, monkeypatch):
    packed, opt = _trajectory(cls, kwargs, backend, 1 << 16, monkeypatch, to_none)
    assert opt._buckets[0][0]._batch.packed
    plain, opt = _trajectory(cls, kwargs, backend, 0, monkeypatch, to_none)
    assert not opt._buckets[0][0]._batch.packed
    for a, b in zip(packed, plain):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_a_bad_gradient_after_packed_steps_raises_and_changes_nothing():
    p = mg.Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    opt = mg.optim.Adam([p], lr=0.1)
    for _ in range(3):
        p.grad = np.ones((2, 3), np.float32)
        opt.step()
    before = p.data.copy(), {k: np.array(v) for k, v in opt.state[p].items()}
    p.grad = np.ones((3, 2), np.float32)  # same size, wrong shape
    with pytest.raises(ValueError, match=r"gradient must be .* shape \(2, 3\)"):
        opt.step()
    np.testing.assert_array_equal(p.data, before[0])
    for k, v in opt.state[p].items():
        np.testing.assert_array_equal(v, before[1][k])
    p.grad = np.full((2, 3), 2.0)  # float64 into a float32 bucket: cast
    opt.step()
    assert opt.state[p]["step"] == 4


def test_a_nonfinite_packed_gradient_is_seen_by_on_nonfinite():
    p = mg.Tensor(np.ones(3, np.float32), requires_grad=True)
    opt = mg.optim.SGD([p], lr=0.1, on_nonfinite="skip")
    p.grad = np.ones(3, np.float32)
    opt.step()
    p.grad = np.array([1.0, np.nan, 1.0], np.float32)
    opt.step()
    assert opt.skipped_steps == 1
    np.testing.assert_allclose(p.data, 0.9)
