"""LAMB reports the trust ratio each step used: ``opt.state[p]["trust_ratio"]``.

The ratio is what the step multiplied the rate by, so ``p_new = p - lr r u``
must hold with the reported ``r`` (``u`` from the paper's formula); a zero
parameter reports 1; it is a report, not state: ``state_dict()`` leaves it
out and ``load_state_dict`` takes entries with or without it.
"""
import numpy as np
import pytest

from minigrad import optim
from minigrad.nn import Parameter

BACKENDS = ["numpy", "cpu", "cuda"]


def direction(p, m, v, t, beta1=0.9, beta2=0.999, eps=1e-6, wd=0.0):
    return (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps) + wd * p


@pytest.mark.parametrize("backend", BACKENDS)
def test_reported_ratio_is_the_one_the_step_used(backend):
    rng = np.random.default_rng(0)
    ps = [Parameter(rng.standard_normal((4, 3))), Parameter(np.zeros(5)),
          Parameter(rng.standard_normal(2))]
    opt = optim.LAMB(ps, lr=0.1, weight_decay=0.01, backend=backend)
    for t in (1, 2, 3):
        before = [p.data.copy() for p in ps]
        for p in ps:
            p.grad = rng.standard_normal(p.shape)
        opt.step()
        for p, old in zip(ps, before):
            state = opt.state[p]
            r = state["trust_ratio"]
            assert isinstance(r, float) and r > 0
            u = direction(old, state["exp_avg"], state["exp_avg_sq"], t,
                          wd=0.01)
            np.testing.assert_allclose(p.data, old - 0.1 * r * u, rtol=1e-12,
                                       atol=1e-15)
            want = (np.linalg.norm(old) / np.linalg.norm(u)
                    if np.linalg.norm(old) > 0 else 1.0)
            assert r == pytest.approx(want, rel=1e-12)
    assert opt.state[ps[1]]["trust_ratio"] != 1.0  # nonzero after step 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_zero_parameter_reports_one_and_skipped_parameter_keeps_its_last(
        backend):
    a, b = Parameter(np.zeros(3)), Parameter(np.ones(3))
    opt = optim.LAMB([a, b], lr=0.1, backend=backend)
    a.grad, b.grad = np.ones(3), np.ones(3)
    opt.step()
    assert opt.state[a]["trust_ratio"] == 1.0
    first = opt.state[b]["trust_ratio"]
    a.grad, b.grad = np.ones(3), None  # b takes no step
    opt.step()
    assert opt.state[b]["trust_ratio"] == first


def test_float32_ratio_is_reported_and_matches_the_reference():
    got = {}
    for backend in BACKENDS:
        p = Parameter(np.linspace(-1, 1, 7).astype(np.float32))
        opt = optim.LAMB([p], lr=0.01, backend=backend)
        p.grad = np.linspace(1, 2, 7).astype(np.float32)
        opt.step()
        got[backend] = opt.state[p]["trust_ratio"]
    assert all(isinstance(r, float) for r in got.values())
    # u is float32 on every backend; the norms are float64 on numpy and
    # cpu, float32 on cuda: the ratios agree to float32 rounding
    for backend in ("cpu", "cuda"):
        assert got[backend] == pytest.approx(got["numpy"], rel=1e-6)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_state_dict_loads_with_or_without_the_ratio(backend):
    p = Parameter(np.arange(3.0))
    opt = optim.LAMB([p], backend=backend)
    p.grad = np.ones(3)
    opt.step()
    saved = opt.state_dict()
    assert "trust_ratio" not in saved["state"][0]
    with_ratio = {"state": {0: {**saved["state"][0], "trust_ratio": 0.5}},
                  "param_groups": saved["param_groups"]}
    fresh = optim.LAMB([p], backend=backend)
    fresh.load_state_dict(saved)
    assert "trust_ratio" not in fresh.state[p]
    fresh.load_state_dict(with_ratio)
    assert fresh.state[p]["trust_ratio"] == 0.5
    bad = {"state": {0: {**saved["state"][0], "trust_ratio": "x"}},
           "param_groups": saved["param_groups"]}
    with pytest.raises(ValueError, match="trust_ratio"):
        fresh.load_state_dict(bad)
    assert fresh.state[p]["trust_ratio"] == 0.5  # unchanged by the bad load


def test_other_rules_report_nothing():
    p = Parameter(np.ones(2))
    opt = optim.AdamW([p])
    p.grad = np.ones(2)
    opt.step()
    assert set(opt.state[p]) == {"step", "exp_avg", "exp_avg_sq"}
