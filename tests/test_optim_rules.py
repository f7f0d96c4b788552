"""Each update rule is the published formula: the NumPy reference against
hand-computed first two steps, PyTorch's trajectories (when torch is
importable), equivalences between rules, and lowering a quadratic."""
import math

import numpy as np
import pytest

from minigrad import optim
from minigrad.nn import Parameter
from minigrad.optim.lr_scheduler import StepLR

BACKENDS = ["numpy", "cpu", "cuda"]


def two_steps(opt_factory, p0, grads, backend="numpy"):
    p = Parameter(np.array(p0, dtype=np.float64))
    opt = opt_factory([p], backend)
    out = []
    for g in grads:
        p.grad = np.array(g, dtype=np.float64)
        opt.step()
        out.append(p.data.copy())
    return out


# Worked by hand with small numbers (b = buffer, t = step).
HAND = {
    # t1: b = 0.5, p = 1 - 0.1*0.5; t2: b = 0.9*0.5 + 0.5*0.5 = 0.7
    "SGD momentum dampening": (
        lambda ps, be: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5,
                                 backend=be),
        1.0, [0.5, 0.5], [0.95, 0.95 - 0.07]),
    # t1: b = 0.5, g = 0.5 + 0.9*0.5 = 0.95; t2: b = 0.95, g = 0.5 + 0.855
    "SGD nesterov": (
        lambda ps, be: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True,
                                 backend=be),
        1.0, [0.5, 0.5], [0.905, 0.905 - 0.1355]),
    # g = 0.5 + 0.5 p: t1 g = 1.0; t2 g = 0.5 + 0.45
    "SGD weight decay": (
        lambda ps, be: optim.SGD(ps, lr=0.1, weight_decay=0.5, backend=be),
        1.0, [0.5, 0.5], [0.9, 0.9 - 0.095]),
    # t1: v = 0.1*0.5 = 0.05; t2: v = 0.9*0.05 + 0.05 = 0.095
    "Momentum": (
        lambda ps, be: optim.Momentum(ps, lr=0.1, beta=0.9, backend=be),
        1.0, [0.5, 0.5], [0.995, 0.995 - 0.0095]),
    # s: 0.75 + 0.25 = 1, then 1.25; clr: 0.1, then 0.1 / (1 + 0.5)
    "AdaGrad": (
        lambda ps, be: optim.AdaGrad(ps, lr=0.1, lr_decay=0.5, eps=0.0,
                                     initial_accumulator_value=0.75, backend=be),
        1.0, [0.5, 0.5], [0.95, 0.95 - (0.1 / 1.5) * 0.5 / math.sqrt(1.25)]),
    # v: 0.125, then 0.1875
    "RMSProp": (
        lambda ps, be: optim.RMSProp(ps, lr=0.01, alpha=0.5, eps=0.0, backend=be),
        1.0, [0.5, 0.5],
        [1 - 0.005 / math.sqrt(0.125),
         1 - 0.005 / math.sqrt(0.125) - 0.005 / math.sqrt(0.1875)]),
    # t1: v = .125, gbar = .25, avg = sqrt(.0625) = .25, b = 2, p = .98;
    # t2: v = .1875, gbar = -.125, avg = sqrt(.171875), b = 1 - .5 / avg
    "RMSProp centered momentum": (
        lambda ps, be: optim.RMSProp(ps, lr=0.01, alpha=0.5, eps=0.0,
                                     centered=True, momentum=0.5, backend=be),
        1.0, [0.5, -0.5], [0.98, 0.98 - 0.01 * (1 - 0.5 / math.sqrt(0.171875))]),
    # t1: m = .25, v = .0625, m_hat = .5, v_hat = .25 -> step 0.1 * 1;
    # t2: m = .125 + .125, v = .75*.0625 + .25*.0625; bc1 = .75, bc2 = .4375
    "Adam": (
        lambda ps, be: optim.Adam(ps, lr=0.1, betas=(0.5, 0.75), eps=0.0,
                                  backend=be),
        1.0, [0.5, 0.25],
        [0.9, 0.9 - 0.1 * (0.25 / 0.75) / math.sqrt(0.0625 / 0.4375)]),
    # t2: v = .75*.0625 + .25*.01 = .049375 < v_max = .0625; m = .175
    "Adam amsgrad": (
        lambda ps, be: optim.Adam(ps, lr=0.1, betas=(0.5, 0.75), eps=0.0,
                                  amsgrad=True, backend=be),
        1.0, [0.5, 0.1],
        [0.9, 0.9 - 0.1 * (0.175 / 0.75) / math.sqrt(0.0625 / 0.4375)]),
    # g = 0 + 1.0 * p: t1 g = 1 -> p = .9; t2 g = .9: m = .7, v = .39
    "Adam L2": (
        lambda ps, be: optim.Adam(ps, lr=0.1, betas=(0.5, 0.75), eps=0.0,
                                  weight_decay=1.0, backend=be),
        1.0, [0.0, 0.0],
        [0.9, 0.9 - 0.1 * (0.7 / 0.75) / math.sqrt(0.39 / 0.4375)]),
    # decay 1 - 0.1*0.5 = 0.95 first, then the Adam steps above
    "AdamW": (
        lambda ps, be: optim.AdamW(ps, lr=0.1, betas=(0.5, 0.75), eps=0.0,
                                   weight_decay=0.5, backend=be),
        1.0, [0.5, 0.25],
        [0.85, 0.85 * 0.95 - 0.1 * (0.25 / 0.75) / math.sqrt(0.0625 / 0.4375)]),
}


def lamb_by_hand():
    """p0 = (3, 4), ||p0|| = 5, g = (0.5, -0.5) twice, lr .1, betas (.5, .75),
    eps 0, wd .5. t1: Adam direction (1, -1), u = (1, -1) + .5 p0 = (2.5, 1)."""
    p0 = np.array([3.0, 4.0])
    u1 = np.array([2.5, 1.0])
    p1 = p0 - 0.1 * (5 / math.sqrt(7.25)) * u1
    # t2: m = +-(.125 + .25), v = .75*.0625 + .25*.25 = .109375:
    # m_hat = +-.375/.75 = +-.5, v_hat = .109375/.4375 = .25
    direction = np.array([1.0, -1.0]) * (0.375 / 0.75) / math.sqrt(0.109375 / 0.4375)
    u2 = direction + 0.5 * p1
    p2 = p1 - 0.1 * (np.linalg.norm(p1) / np.linalg.norm(u2)) * u2
    return p0, [p1, p2]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", list(HAND))
def test_first_two_steps_by_hand(case, backend):
    factory, p0, grads, expected = HAND[case]
    got = two_steps(factory, [p0], [[g] for g in grads], backend)
    np.testing.assert_allclose(np.concatenate(got), expected, rtol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lamb_first_two_steps_by_hand(backend):
    p0, expected = lamb_by_hand()
    got = two_steps(lambda ps, be: optim.LAMB(ps, lr=0.1, betas=(0.5, 0.75),
                                              eps=0.0, weight_decay=0.5,
                                              backend=be),
                    p0, [[0.5, -0.5]] * 2, backend)
    np.testing.assert_allclose(got, expected, rtol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lamb_zero_parameter_takes_ratio_one(backend):
    # ||p|| = 0 -> r = 1: p1 = 0 - lr * u, u = Adam direction = sign(g)
    got = two_steps(lambda ps, be: optim.LAMB(ps, lr=0.1, eps=0.0,
                                              weight_decay=0.5, backend=be),
                    [0.0, 0.0, 0.0], [[0.5, -2.0, 1.0]], backend)
    np.testing.assert_array_equal(got[0], [-0.1, 0.1, -0.1])


# ------------------------------------------------------------ equivalences
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adamw_without_decay_is_adam(backend, amsgrad):
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((15, 6)).astype(np.float32)
    runs = []
    for cls in (optim.Adam, optim.AdamW):
        p = Parameter(np.linspace(-1, 1, 6, dtype=np.float32))
        opt = cls([p], lr=0.01, weight_decay=0.0, amsgrad=amsgrad,
                  backend=backend)
        for g in grads:
            p.grad = g
            opt.step()
        runs.append(p.data)
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_momentum_is_sgd_with_dampening_beta_from_step_two(backend):
    beta, lr = 0.8, 0.05
    rng = np.random.default_rng(1)
    grads = rng.standard_normal((12, 5))
    a = Parameter(rng.standard_normal(5))
    mom = optim.Momentum([a], lr=lr, beta=beta, backend=backend)
    a.grad = grads[0]
    mom.step()
    # after step 1 the two differ (torch starts its buffer at g, not
    # (1 - beta) g); hand SGD Momentum's state and both agree from then on
    b = Parameter(a.data.copy())
    sgd = optim.SGD([b], lr=lr, momentum=beta, dampening=beta, backend=backend)
    velocity = mom.state_dict()["state"][0]["velocity"]
    sgd_state = sgd.state_dict()
    sgd_state["state"] = {0: {"step": 1, "momentum_buffer": velocity}}
    sgd.load_state_dict(sgd_state)
    for g in grads[1:]:
        a.grad, b.grad = g, g.copy()
        mom.step()
        sgd.step()
        np.testing.assert_array_equal(a.data, b.data)
    # and the first step really differs by the factor (1 - beta)
    c, d = Parameter(np.zeros(5)), Parameter(np.zeros(5))
    m1 = optim.Momentum([c], lr=lr, beta=beta, backend=backend)
    s1 = optim.SGD([d], lr=lr, momentum=beta, dampening=beta, backend=backend)
    c.grad, d.grad = grads[0], grads[0].copy()
    m1.step()
    s1.step()
    np.testing.assert_allclose(c.data, (1 - beta) * d.data, rtol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lamb_with_trust_ratio_one_is_adamw(backend):
    """LAMB = AdamW-style decay inside the update, scaled by the ratio: with
    r = 1 (``adapt=False``) the trajectories agree to rounding."""
    rng = np.random.default_rng(2)
    grads = rng.standard_normal((20, 2, 3))
    runs = []
    for cls, options in ((optim.LAMB, dict(adapt=False)), (optim.AdamW, {})):
        p = Parameter(np.arange(6.0).reshape(2, 3))
        opt = cls([p], lr=0.01, betas=(0.9, 0.99), eps=1e-6, weight_decay=0.1,
                  backend=backend, **options)
        for g in grads:
            p.grad = g
            opt.step()
        runs.append(p.data)
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-13)


def test_lamb_trust_ratio_matters():
    """...and without forcing it, LAMB is not AdamW (the test above can fail)."""
    runs = []
    for cls in (optim.LAMB, optim.AdamW):
        p = Parameter(np.arange(6.0).reshape(2, 3))
        opt = cls([p], lr=0.01, eps=1e-6, weight_decay=0.1, backend="numpy")
        p.grad = np.ones((2, 3))
        opt.step()
        runs.append(p.data)
    assert not np.allclose(runs[0], runs[1], rtol=1e-6)


# ------------------------------------------------------------- quadratic
QUADRATIC = [(optim.SGD, dict(lr=0.1, momentum=0.5)),
             (optim.Momentum, dict(lr=0.2)),
             (optim.AdaGrad, dict(lr=0.3)),
             (optim.RMSProp, dict(lr=0.02)),
             (optim.Adam, dict(lr=0.05)),
             (optim.AdamW, dict(lr=0.05)),
             (optim.LAMB, dict(lr=0.1))]


@pytest.mark.parametrize("scheduled", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls, kwargs", QUADRATIC,
                         ids=[c.__name__ for c, _ in QUADRATIC])
def test_each_rule_lowers_a_quadratic(cls, kwargs, dtype, scheduled):
    """f(p) = 1/2 sum h (p - c)^2 on a contiguous and a strided parameter."""
    rng = np.random.default_rng(3)
    h = rng.uniform(0.5, 2.0, 10).astype(dtype)
    c = rng.standard_normal(10).astype(dtype)
    flat = Parameter(np.ones(6, dtype))
    strided = Parameter(np.zeros(4, dtype))
    strided.data = np.ones((4, 3), dtype)[:, 2]
    opt = cls([flat, strided], **kwargs)
    scheduler = StepLR(opt, step_size=10, gamma=0.5) if scheduled else None

    def loss():
        p = np.concatenate([flat.data, strided.data])
        return 0.5 * float(np.sum(h * (p - c) ** 2))

    start = loss()
    for _ in range(40):
        flat.grad = h[:6] * (flat.data - c[:6])
        strided.grad = h[6:] * (strided.data - c[6:])
        opt.step()
        if scheduler is not None:
            scheduler.step()
    assert loss() < 0.5 * start, (start, loss())


# --------------------------------------------------------------- PyTorch
TORCH_CONFIGS = [
    (optim.SGD, "SGD", dict(lr=0.1)),
    (optim.SGD, "SGD", dict(lr=0.1, momentum=0.9, dampening=0.2,
                            weight_decay=0.01)),
    (optim.SGD, "SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.AdaGrad, "Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                    initial_accumulator_value=0.1)),
    (optim.RMSProp, "RMSprop", dict(lr=0.01, weight_decay=0.01)),
    (optim.RMSProp, "RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    (optim.Adam, "Adam", dict(lr=0.01, weight_decay=0.01)),
    (optim.Adam, "Adam", dict(lr=0.01, amsgrad=True)),
    (optim.AdamW, "AdamW", dict(lr=0.01)),
    (optim.AdamW, "AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


@pytest.mark.parametrize("ours, theirs, kwargs", TORCH_CONFIGS,
                         ids=[f"{t}-{sorted(k)}" for _, t, k in TORCH_CONFIGS])
def test_matches_pytorch_trajectory(ours, theirs, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    start = rng.standard_normal((3, 4))
    grads = rng.standard_normal((20, 3, 4))
    p = Parameter(start.copy())
    q = torch.tensor(start.copy(), requires_grad=True)
    opt = ours([p], backend="cpu", **kwargs)
    ref = getattr(torch.optim, theirs)([q], **kwargs)
    for g in grads:
        p.grad = g.copy()
        q.grad = torch.tensor(g.copy())
        opt.step()
        ref.step()
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
