"""LAMB's options (issue 11): the paper's clip phi, groups that do not adapt,
groups without weight decay -- each the paper's behaviour by default, each
the same on every backend, each checked against the formula by hand."""
import math

import numpy as np
import pytest

from minigrad import optim
from minigrad.nn import Parameter

BACKENDS = ["numpy", "cpu", "cuda"]


def one_step(backend, p0, g, **options):
    p = Parameter(np.array(p0, dtype=np.float64))
    opt = optim.LAMB([p], lr=0.1, betas=(0.5, 0.75), eps=0.0, backend=backend,
                     **options)
    p.grad = np.array(g, dtype=np.float64)
    opt.step()
    return p.data, opt.state[p]["trust_ratio"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("clip, phi", [((0.0, 2.0), 2.0), ((6.0, 9.0), 6.0),
                                       ((1.0, 10.0), 5.0)])
def test_clip_bounds_the_weight_norm_in_the_ratio(backend, clip, phi):
    """p = (3, 4), ||p|| = 5; step 1: u = sign(g) = (1, -1), ||u|| = sqrt 2;
    r = phi(5) / sqrt 2 with phi(z) = min(max(z, gamma_l), gamma_u)."""
    p, r = one_step(backend, [3.0, 4.0], [0.5, -0.5], clip=clip)
    assert r == pytest.approx(phi / math.sqrt(2), rel=1e-14)
    np.testing.assert_allclose(p, [3.0 - 0.1 * r, 4.0 + 0.1 * r], rtol=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
def test_clip_gives_a_zero_tensor_the_lower_bound(backend):
    """phi(0) = gamma_l: a zero tensor steps by gamma_l / ||u|| (the paper's
    formula); without a clip it takes r = 1."""
    _, r = one_step(backend, [0.0, 0.0], [0.5, -0.5], clip=(0.5, 2.0))
    assert r == pytest.approx(0.5 / math.sqrt(2), rel=1e-14)
    _, r = one_step(backend, [0.0, 0.0], [0.5, -0.5])
    assert r == 1.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_group_that_does_not_adapt_takes_ratio_one(backend):
    """adapt=False: r = 1, so the step is lr * u (u with its decay term)."""
    p, r = one_step(backend, [3.0, 4.0], [0.5, -0.5], adapt=False,
                    weight_decay=0.5)
    assert r == 1.0
    u = np.array([1.0, -1.0]) + 0.5 * np.array([3.0, 4.0])
    np.testing.assert_allclose(p, np.array([3.0, 4.0]) - 0.1 * u, rtol=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
def test_param_groups_choose_their_own_options(backend):
    """Weights adapt and decay, biases neither: one step of each group equals
    a LAMB of its own with those options."""
    rng = np.random.default_rng(0)
    w0, b0 = rng.standard_normal((3, 2)), rng.standard_normal(3)
    gw, gb = rng.standard_normal((3, 2)), rng.standard_normal(3)
    w, b = Parameter(w0.copy()), Parameter(b0.copy())
    opt = optim.LAMB([{"params": [w], "weight_decay": 0.01, "clip": (0.1, 1.0)},
                      {"params": [b], "weight_decay": 0.0, "adapt": False}],
                     lr=0.05, backend=backend)
    w.grad, b.grad = gw, gb
    opt.step()
    for start, grad, options, got in ((w0, gw, dict(weight_decay=0.01,
                                                    clip=(0.1, 1.0)), w),
                                      (b0, gb, dict(adapt=False), b)):
        alone = Parameter(start.copy())
        ref = optim.LAMB([alone], lr=0.05, backend="numpy", **options)
        alone.grad = grad
        ref.step()
        np.testing.assert_allclose(got.data, alone.data, rtol=1e-13)


def test_defaults_are_the_papers():
    opt = optim.LAMB([Parameter(np.ones(2))])
    assert opt.defaults["clip"] is None and opt.defaults["adapt"] is True


@pytest.mark.parametrize("clip, message", [
    ((1.0,), "pair"), (0.5, "pair"), ((2.0, 1.0), "gamma_l <= gamma_u"),
    ((-1.0, 1.0), "gamma_l"), ((0.0, float("inf")), "gamma_u")])
def test_bad_clip_is_refused_with_the_value(clip, message):
    with pytest.raises(ValueError, match=message):
        optim.LAMB([Parameter(np.ones(2))], clip=clip)


def test_float32_clip_matches_the_reference():
    got = []
    for backend in BACKENDS:
        p = Parameter(np.linspace(-1, 1, 6).astype(np.float32))
        opt = optim.LAMB([p], lr=0.01, clip=(0.1, 0.5), backend=backend)
        for _ in range(3):
            p.grad = np.linspace(1, 2, 6).astype(np.float32)
            opt.step()
        got.append(p.data.copy())
    for other in got[1:]:
        np.testing.assert_allclose(other, got[0], rtol=1e-6)


def test_a_state_dict_saved_without_the_options_still_loads():
    """State dicts saved before ``clip`` and ``adapt`` existed load with the
    paper's behaviour."""
    p = Parameter(np.ones(3))
    opt = optim.LAMB([p], clip=(0.1, 1.0), adapt=False)
    p.grad = np.ones(3)
    opt.step()
    old = opt.state_dict()
    for group in old["param_groups"]:
        del group["clip"], group["adapt"]
    opt.load_state_dict(old)
    assert opt.param_groups[0]["clip"] is None
    assert opt.param_groups[0]["adapt"] is True
