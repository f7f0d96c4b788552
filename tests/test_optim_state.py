"""What each optimizer configuration keeps, and weight decay at exactly 1.

Mutation testing found these unpinned: an RMSProp with momentum 0 that grew a
``momentum_buffer`` (``> 0`` flipped to ``>= 0``) and SGD's reference with
``weight_decay=1.0`` (``wd != 0`` flipped to ``wd != 1``) both went unnoticed.
"""
import numpy as np
import pytest

from minigrad import optim
from minigrad.nn import Parameter

BACKENDS = ["numpy", "cpu", "cuda"]

# configuration -> the exact keys of a stepped parameter's state
STATE_KEYS = [
    (optim.SGD, {}, set()),
    (optim.SGD, dict(momentum=0.9), {"momentum_buffer"}),
    (optim.SGD, dict(momentum=0.9, nesterov=True), {"momentum_buffer"}),
    (optim.Momentum, {}, {"velocity"}),
    (optim.AdaGrad, {}, {"sum"}),
    (optim.RMSProp, {}, {"square_avg"}),
    (optim.RMSProp, dict(momentum=0.0), {"square_avg"}),
    (optim.RMSProp, dict(centered=True), {"square_avg", "grad_avg"}),
    (optim.RMSProp, dict(momentum=0.5), {"square_avg", "momentum_buffer"}),
    (optim.RMSProp, dict(momentum=0.5, centered=True),
     {"square_avg", "grad_avg", "momentum_buffer"}),
    (optim.Adam, {}, {"exp_avg", "exp_avg_sq"}),
    (optim.Adam, dict(amsgrad=True), {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
    (optim.AdamW, {}, {"exp_avg", "exp_avg_sq"}),
    (optim.AdamW, dict(amsgrad=True),
     {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
    (optim.LAMB, {}, {"exp_avg", "exp_avg_sq"}),
]


def config_id(config):
    cls, kwargs, _ = config
    return f"{cls.__name__}({','.join(f'{k}={v}' for k, v in kwargs.items())})"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("config", STATE_KEYS, ids=config_id)
def test_state_holds_exactly_the_buffers_of_the_options(config, backend):
    cls, kwargs, keys = config
    p = Parameter(np.ones(3))
    opt = cls([p], backend=backend, **kwargs)
    p.grad = np.full(3, 0.5)
    opt.step()
    saved = opt.state_dict()["state"]
    assert set(saved) == {0}
    assert set(saved[0]) == {"step"} | keys
    # opt.state may add read-only diagnostics, never another buffer
    assert set(opt.state[p]) & set(opt._buckets[0][0].buffers) == keys
    assert set(opt._buckets[0][0].buffers) == keys


L2_RULES = [
    (optim.SGD, {}),
    (optim.SGD, dict(momentum=0.9)),
    (optim.Momentum, {}),
    (optim.AdaGrad, {}),
    (optim.RMSProp, dict(centered=True, momentum=0.5)),
    (optim.Adam, {}),
    (optim.Adam, dict(amsgrad=True)),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("config", L2_RULES,
                         ids=[config_id((*c, None)) for c in L2_RULES])
def test_weight_decay_one_is_the_gradient_p(config, backend):
    """L2 decay adds ``wd * p`` to the gradient: with ``wd = 1`` and a zero
    gradient the step is the one a gradient equal to ``p`` gives."""
    cls, kwargs = config
    runs = []
    for wd in (1.0, 0.0):
        p = Parameter(np.array([2.0, -1.0, 0.5]))
        opt = cls([p], lr=0.1, weight_decay=wd, backend=backend, **kwargs)
        for _ in range(3):
            p.grad = np.zeros(3) if wd else p.data.copy()
            opt.step()
        runs.append(p.data.copy())
    assert not np.array_equal(runs[0], [2.0, -1.0, 0.5])  # it moved
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_sgd_weight_decay_one_by_hand(backend):
    """p = 2, g = 0, lr 0.1, wd 1: g = p, so p = 1.8, then 1.62."""
    p = Parameter(np.array([2.0]))
    opt = optim.SGD([p], lr=0.1, weight_decay=1.0, backend=backend)
    seen = []
    for _ in range(2):
        p.grad = np.zeros(1)
        opt.step()
        seen.append(p.data[0])
    np.testing.assert_allclose(seen, [1.8, 1.62], rtol=1e-15)
