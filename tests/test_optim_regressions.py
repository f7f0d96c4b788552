"""Optimizer defects found by testing against PyTorch float64, each pinned.

Each test here failed before its fix: a step read a stale copy of a gradient
written in place, SGD started a momentum buffer switched on mid-run as
``(1 - dampening) g``, a 0-d NumPy scalar gradient was refused.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import Parameter

BACKENDS = ["numpy", "cpu", "cuda"]

# gradients the optimizer cannot hand to a kernel as they are: it copies them
ODD_GRADS = {
    "fortran": lambda g: np.asfortranarray(g),
    "strided": lambda g: np.repeat(g, 2, axis=1)[:, ::2],
    "float32": lambda g: g.astype(np.float32),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", sorted(ODD_GRADS))
def test_a_step_reads_the_gradients_current_values(backend, kind):
    """The issue's example: the second step must see the zeroed gradient."""
    w = Parameter(np.zeros((2, 2)))
    opt = optim.SGD([w], lr=1.0, backend=backend)
    w.grad = ODD_GRADS[kind](np.ones((2, 2)))
    opt.step()
    w.grad[...] = 0  # in place: same object, new values
    opt.step()
    np.testing.assert_array_equal(w.data, -1.0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", sorted(ODD_GRADS))
def test_in_place_gradients_give_the_fresh_array_trajectory(backend, kind):
    """Writing each step's gradient into one array (odd layout or dtype) moves
    the parameters exactly as handing a fresh array each step does."""
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)) for _ in range(4)]
    runs = []
    for in_place in (False, True):
        w = Parameter(np.ones((3, 4)))
        opt = optim.Adam([w], lr=0.1, backend=backend)
        w.grad = ODD_GRADS[kind](np.zeros((3, 4)))
        for g in grads:
            if in_place:
                w.grad[...] = g
            else:
                w.grad = ODD_GRADS[kind](g)
            opt.step()
        runs.append(w.data.copy())
    np.testing.assert_array_equal(runs[1], runs[0])


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_linear_trains_the_same_with_either_zero_grad(backend):
    """Gradients as the engine makes them: Adam on a small MLP takes the same
    steps with ``zero_grad(set_to_none=False)`` as with ``True`` (before the
    fix every Linear weight kept its step-1 gradient with ``False``)."""
    rng = np.random.default_rng(1)
    x = mg.Tensor(rng.standard_normal((16, 2)).astype(np.float32))
    y = mg.Tensor(rng.standard_normal((16, 3)).astype(np.float32))
    finals = []
    for set_to_none in (True, False):
        mg.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 3))
        opt = optim.Adam(model.parameters(), lr=0.05, backend=backend)
        for _ in range(5):
            opt.zero_grad(set_to_none=set_to_none)
            ((model(x) - y) ** 2).mean().backward()
            opt.step()
        finals.append([p.data.copy() for p in model.parameters()])
    for a, b in zip(*finals):
        np.testing.assert_array_equal(a, b)


def test_the_engine_hands_linear_a_c_ordered_weight_gradient():
    """A fresh leaf gradient is C-ordered whatever the op returned (the weight's
    is the transpose of ``x.T @ g``), so the optimizer never copies it."""
    layer = nn.Linear(3, 4)
    layer(mg.Tensor(np.ones((5, 3), np.float32))).sum().backward()
    assert layer.weight.grad.flags.c_contiguous


@pytest.mark.parametrize("backend", BACKENDS)
def test_sgd_momentum_switched_on_mid_run_starts_its_buffer_as_g(backend):
    """PyTorch: ``if buf is None: buf = g`` -- the first step with a buffer,
    not step 1. Worked by hand: lr 0.1, g = 1 each step; steps 1-2 plain SGD
    (p: 1 -> 0.9 -> 0.8); momentum 0.9, dampening 0.5 from step 3: b = 1
    (not 0.5), p = 0.7; step 4: b = 0.9 + 0.5 = 1.4, p = 0.56."""
    p = Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=0.1, backend=backend)
    seen = []
    for step in range(4):
        if step == 2:
            opt.param_groups[0]["momentum"] = 0.9
            opt.param_groups[0]["dampening"] = 0.5
        p.grad = np.array([1.0])
        opt.step()
        seen.append(p.data[0])
    np.testing.assert_allclose(seen, [0.9, 0.8, 0.7, 0.56], rtol=1e-14)
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], [1.4])


def test_sgd_momentum_switched_on_mid_run_matches_torch():
    """The same schedule of options against ``torch.optim.SGD`` in float64,
    with a parameter that has no gradient when the buffer appears."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    grads = rng.standard_normal((8, 2, 3))
    ours = [Parameter(np.ones((3,))), Parameter(np.ones((3,)))]
    theirs = [torch.ones(3, dtype=torch.float64, requires_grad=True)
              for _ in range(2)]
    opt = optim.SGD(ours, lr=0.1, weight_decay=0.1, backend="cpu")
    ref = torch.optim.SGD(theirs, lr=0.1, weight_decay=0.1)
    for step, g in enumerate(grads):
        if step == 3:
            for group in (opt.param_groups[0], ref.param_groups[0]):
                group.update(momentum=0.8, dampening=0.25)
        for k, (a, b) in enumerate(zip(ours, theirs)):
            present = not (k == 1 and step == 3)  # no grad: no buffer yet
            a.grad = g[k] if present else None
            b.grad = torch.from_numpy(g[k].copy()) if present else None
        opt.step()
        ref.step()
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("scalar", [np.float64(0.5), np.float32(0.5)],
                         ids=["float64", "float32"])
def test_a_numpy_scalar_is_a_0d_gradient(backend, scalar):
    """``p.grad = np.float64(0.5)`` on a 0-d parameter steps like
    ``np.array(0.5)``; a scalar for a parameter of another shape is refused."""
    p = Parameter(np.array(1.0))
    opt = optim.SGD([p], lr=0.1, backend=backend)
    p.grad = scalar
    opt.step()
    p.grad = scalar  # the same object again: still read afresh
    opt.step()
    assert p.data.shape == () and p.data == (1.0 - 0.1 * 0.5) - 0.1 * 0.5
    q = Parameter(np.ones(2))
    opt = optim.SGD([q], lr=0.1, backend=backend)
    q.grad = scalar
    with pytest.raises(ValueError, match=r"shape \(2,\), got float\d\d float"):
        opt.step()
    np.testing.assert_array_equal(q.data, [1.0, 1.0])
