"""The Optimizer surface: construction checks, param groups, skipping, zero_grad,
state dicts, kernel-call counting, parameters that must never detach, and
refusing non-finite gradients."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import Parameter

RULES = [optim.SGD, optim.Momentum, optim.AdaGrad, optim.RMSProp, optim.Adam,
         optim.AdamW, optim.LAMB]
# options that give every rule all of its state buffers
FULL = {optim.SGD: dict(momentum=0.9, weight_decay=0.01),
        optim.Momentum: dict(weight_decay=0.01),
        optim.AdaGrad: dict(lr_decay=0.01, initial_accumulator_value=0.1),
        optim.RMSProp: dict(centered=True, momentum=0.5),
        optim.Adam: dict(amsgrad=True, weight_decay=0.01),
        optim.AdamW: dict(amsgrad=True),
        optim.LAMB: dict(weight_decay=0.01)}
rule_ids = [r.__name__ for r in RULES]


def params(*shapes, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [Parameter(rng.standard_normal(s).astype(dtype)) for s in shapes]


def set_grads(ps, seed):
    rng = np.random.default_rng(seed)
    for p in ps:
        p.grad = rng.standard_normal(p.shape).astype(p.dtype)


# ---------------------------------------------------------------- checks
BAD = [
    (optim.SGD, dict(lr=-0.1), ValueError, "learning rate: -0.1"),
    (optim.SGD, dict(lr=float("nan")), ValueError, "learning rate: nan"),
    (optim.SGD, dict(momentum=-1), ValueError, "momentum value: -1"),
    (optim.SGD, dict(weight_decay=-1e-3), ValueError, "weight_decay value"),
    (optim.SGD, dict(nesterov=True), ValueError, "Nesterov.*momentum=0"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), ValueError,
     "dampening=0.1"),
    (optim.SGD, dict(lr="0.1"), TypeError, "learning rate: '0.1'"),
    (optim.Momentum, dict(beta=1.0), ValueError, "beta: 1.0"),
    (optim.AdaGrad, dict(lr_decay=-1), ValueError, "lr_decay: -1"),
    (optim.AdaGrad, dict(eps=-1e-10), ValueError, "epsilon value: -1e-10"),
    (optim.AdaGrad, dict(initial_accumulator_value=-1), ValueError,
     "initial_accumulator_value: -1"),
    (optim.RMSProp, dict(alpha=1.5), ValueError, "alpha value: 1.5"),
    (optim.RMSProp, dict(centered=1), TypeError, "centered: 1"),
    (optim.Adam, dict(betas=(0.9, 1.0)), ValueError, "index 1: 1.0"),
    (optim.Adam, dict(betas=(-0.1, 0.9)), ValueError, "index 0: -0.1"),
    (optim.Adam, dict(betas=0.9), ValueError, "betas: 0.9"),
    (optim.AdamW, dict(eps=float("inf")), ValueError, "epsilon value: inf"),
    (optim.LAMB, dict(weight_decay=float("nan")), ValueError, "weight_decay"),
    (optim.Adam, dict(backend="gpu"), ValueError, "backend: 'gpu'"),
    (optim.Adam, dict(on_nonfinite="ignore"), ValueError, "on_nonfinite"),
]


@pytest.mark.parametrize("cls, kwargs, error, message", BAD,
                         ids=[f"{c.__name__}-{sorted(k)}" for c, k, *_ in BAD])
def test_bad_hyperparameters_raise_with_the_value(cls, kwargs, error, message):
    with pytest.raises(error, match=message):
        cls(params((2,)), **kwargs)


def test_bad_parameter_lists():
    a, b = params((2,), (3,))
    with pytest.raises(TypeError, match="set"):
        optim.SGD({a, b})
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([])
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([{"params": []}])
    with pytest.raises(ValueError, match="two param groups"):
        optim.SGD([{"params": [a]}, {"params": [b, a]}])
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([a, a])
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(a)
    with pytest.raises(TypeError, match=r"not the MLP module .*parameters\(\)"):
        optim.SGD(nn.MLP([2, 3, 1]))
    with pytest.raises(TypeError, match="float32 or float64"):
        optim.SGD([mg.Tensor(np.arange(3))])
    with pytest.raises(TypeError, match="ndarray"):
        optim.SGD([np.zeros(3)])
    with pytest.raises(ValueError, match="unknown hyperparameters.*'betas'"):
        optim.SGD([{"params": [a], "betas": (0.9, 0.99)}])
    with pytest.raises(ValueError, match="learning rate: -1"):
        optim.SGD([{"params": [a]}, {"params": [b], "lr": -1}])


def test_param_groups_take_defaults_and_their_own_values():
    a, b = params((2,), (3,))
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    assert opt.param_groups[0]["params"] == [a]


@pytest.mark.parametrize("backend", ["cpu", "numpy", "cuda"])
def test_lr_change_takes_effect_at_next_step(backend):
    a, b = params((3,), (3,))
    b.data = a.data.copy()
    fixed = optim.SGD([a], lr=0.5, backend=backend)
    changed = optim.SGD([b], lr=0.1, backend=backend)
    changed.param_groups[0]["lr"] = 0.5
    a.grad = np.ones(3)
    b.grad = np.ones(3)
    fixed.step()
    changed.step()
    np.testing.assert_array_equal(a.data, b.data)
    changed.param_groups[0]["lr"] = 0.0
    before = b.data.copy()
    changed.step()
    np.testing.assert_array_equal(b.data, before)


def test_invalid_lr_set_later_raises_at_step_and_changes_nothing():
    (a,) = params((3,))
    opt = optim.Adam([a])
    a.grad = np.ones(3)
    opt.param_groups[0]["lr"] = -1.0
    before = a.data.copy()
    with pytest.raises(ValueError, match="learning rate: -1.0"):
        opt.step()
    np.testing.assert_array_equal(a.data, before)
    assert opt.state_dict()["state"] == {}


# --------------------------------------------------------- skipping / zero
@pytest.mark.parametrize("backend", ["cpu", "numpy", "cuda"])
@pytest.mark.parametrize("cls", RULES, ids=rule_ids)
def test_params_without_grad_are_skipped(cls, backend):
    a, b = params((4,), (2, 2))
    opt = cls([a, b], backend=backend, **FULL[cls])
    frozen = b.data.copy()
    a.grad = np.ones(4)
    opt.step()
    opt.step()
    np.testing.assert_array_equal(b.data, frozen)
    state = opt.state_dict()["state"]
    assert set(state) == {0} and state[0]["step"] == 2
    calls = opt.kernel_calls
    a.grad = None
    opt.step()  # all grads None: a no-op
    assert opt.kernel_calls == calls
    assert opt.state_dict()["state"][0]["step"] == 2


def test_zero_grad():
    a, b = params((2,), (3,))
    opt = optim.SGD([a, b])
    set_grads([a, b], 0)
    grad = b.grad
    opt.zero_grad(set_to_none=False)
    assert b.grad is grad and not b.grad.any()
    opt.zero_grad()
    assert a.grad is None and b.grad is None


# ------------------------------------------------------------ state dicts
def test_state_dict_layout():
    a, b, c = params((2,), (3, 1), ())
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.1}],
                     amsgrad=True)
    set_grads([a, b], 1)
    opt.step()
    sd = opt.state_dict()
    assert set(sd["state"]) == {0, 1}  # c never stepped
    assert set(sd["state"][1]) == {"step", "exp_avg", "exp_avg_sq",
                                   "max_exp_avg_sq"}
    assert sd["state"][1]["exp_avg"].shape == (3, 1)
    assert sd["state"][1]["step"] == 1 and type(sd["state"][1]["step"]) is int
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.1
    # copies: training on does not change what was saved
    saved = sd["state"][0]["exp_avg"].copy()
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], saved)


def make_model(seed):
    mg.manual_seed(seed)
    return nn.MLP([3, 5, 2])


def train(model, opt, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = mg.Tensor(rng.standard_normal((4, 3)).astype(np.float32))
        loss = (model(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


@pytest.mark.parametrize("backend", ["cpu", "numpy", "cuda"])
@pytest.mark.parametrize("cls", RULES, ids=rule_ids)
def test_state_dict_round_trip_is_bit_identical(cls, backend, tmp_path):
    model = make_model(0)
    opt = cls(model.parameters(), backend=backend, **FULL[cls])
    train(model, opt, 10, seed=1)
    mg.save({"model": model.state_dict(), "optim": opt.state_dict()},
            tmp_path / "ckpt")
    checkpoint = mg.load(tmp_path / "ckpt")
    resumed = make_model(99)
    resumed_opt = cls(resumed.parameters(), backend=backend, **FULL[cls])
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt.load_state_dict(checkpoint["optim"])
    train(model, opt, 10, seed=2)
    train(resumed, resumed_opt, 10, seed=2)
    for p, q in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    want, got = opt.state_dict(), resumed_opt.state_dict()
    assert want["param_groups"] == got["param_groups"]
    for pid, entry in want["state"].items():
        for name, value in entry.items():
            np.testing.assert_array_equal(got["state"][pid][name], value)


def test_load_state_dict_mismatch_changes_nothing():
    a, b = params((2,), (3,))
    opt = optim.Adam([a, b])
    set_grads([a, b], 0)
    opt.step()
    good = opt.state_dict()
    before = opt.state_dict()

    def broken(edit):
        sd = opt.state_dict()
        edit(sd)
        return sd

    cases = [
        broken(lambda sd: sd["state"][1].update(exp_avg=np.zeros(4))),
        broken(lambda sd: sd["state"][1].update(exp_avg=np.zeros(3, np.float32))),
        broken(lambda sd: sd["state"][1].pop("exp_avg_sq")),
        broken(lambda sd: sd["state"][0].update(step=0)),
        broken(lambda sd: sd["param_groups"][0]["params"].append(2)),
        broken(lambda sd: sd["param_groups"].append(sd["param_groups"][0])),
        broken(lambda sd: sd["param_groups"][0].update(lr=-1.0)),
        broken(lambda sd: sd["state"].update({7: sd["state"][0]})),
        {"state": {}},
    ]
    for sd in cases:
        sd["state"].get(0, {}).get("exp_avg", np.zeros(1))[...] = 123.0
        with pytest.raises(ValueError, match="cannot load optimizer state"):
            opt.load_state_dict(sd)
        after = opt.state_dict()
        assert after["param_groups"] == before["param_groups"]
        for pid in before["state"]:
            for name, value in before["state"][pid].items():
                np.testing.assert_array_equal(after["state"][pid][name], value)
    opt.load_state_dict(good)  # and a good one still loads


def test_load_state_dict_can_switch_options():
    a = params((3,))[0]
    src = optim.Adam([a], amsgrad=True, lr=0.1)
    a.grad = np.ones(3)
    src.step()
    dst = optim.Adam([a])
    dst.load_state_dict(src.state_dict())
    assert dst.param_groups[0]["amsgrad"] is True
    assert "max_exp_avg_sq" in dst.state[a]
    np.testing.assert_array_equal(dst.state[a]["max_exp_avg_sq"],
                                  src.state[a]["max_exp_avg_sq"])


# ------------------------------------------------------ never detached
@pytest.mark.parametrize("backend", ["cpu", "numpy", "cuda"])
def test_assigning_param_data_does_not_detach(backend):
    a, b = params((3,), (2,))
    opt = optim.Momentum([a, b], lr=0.5, beta=0.5, backend=backend)
    a.grad, b.grad = np.ones(3), np.ones(2)
    opt.step()
    a.data = np.zeros(3)  # a new array: the optimizer must follow it
    opt.step()
    # v = 0.5 * 0.5 + 0.5 * 1 = 0.75, p = 0 - 0.5 * 0.75
    np.testing.assert_array_equal(a.data, -0.375)
    a.data = np.zeros(4)
    before = b.data.copy()
    with pytest.raises(RuntimeError, match=r"shape changed from \(3,\) to \(4,\)"):
        opt.step()
    np.testing.assert_array_equal(b.data, before)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_loading_model_after_creating_optimizer_does_not_detach(backend):
    model = make_model(0)
    opt = optim.SGD(model.parameters(), lr=0.1, backend=backend)
    other = make_model(5)
    model.load_state_dict(other.state_dict())
    train(model, opt, 1, seed=3)
    reference = make_model(5)
    ref_opt = optim.SGD(reference.parameters(), lr=0.1, backend="numpy")
    train(reference, ref_opt, 1, seed=3)
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    moved = [not np.array_equal(p.data, q) for p, q in
             zip(model.parameters(), other.state_dict().values())]
    assert all(moved)


def test_grad_of_other_dtype_or_layout_is_used_correctly():
    results = []
    for backend in ("numpy", "cpu"):
        a = Parameter(np.arange(6, dtype=np.float32))
        opt = optim.SGD([a], lr=0.5, backend=backend)
        a.grad = np.arange(12, dtype=np.float64)[::2]  # float64, strided
        opt.step()
        results.append(a.data.copy())
    np.testing.assert_array_equal(results[1], results[0])
    np.testing.assert_array_equal(results[0], np.arange(6) - 0.5 * np.arange(0, 12, 2))


def test_wrong_grad_shape_raises_before_any_change():
    a, b = params((3,), (2,))
    opt = optim.Adam([a, b])
    a.grad, b.grad = np.ones(3), np.ones(5)
    before = a.data.copy()
    with pytest.raises(ValueError, match=r"parameter 1: gradient .*shape \(2,\)"):
        opt.step()
    np.testing.assert_array_equal(a.data, before)
    assert opt.state_dict()["state"] == {}


# ----------------------------------------------------------- launches
@pytest.mark.parametrize("backend", ["cpu", "cuda"])
@pytest.mark.parametrize("cls", RULES, ids=rule_ids)
def test_one_kernel_call_per_group_per_step(cls, backend):
    model = nn.MLP([4, 8, 8, 8, 3])  # 8 tensors
    ps = list(model.parameters())
    opt = cls([{"params": ps[:5]}, {"params": ps[5:], "lr": 1e-4}],
              backend=backend, **FULL[cls])
    for step in range(3):
        set_grads(ps, step)
        opt.step()
    per_step = 2 if (cls is optim.LAMB and backend == "cuda") else 1
    assert opt.kernel_calls == 3 * 2 * per_step  # 3 steps x 2 groups


# ----------------------------------------------------------- non-finite
@pytest.mark.parametrize("backend", ["cpu", "numpy"])
def test_nonfinite_gradients_raise_or_skip_without_changes(backend):
    for mode in ("raise", "skip"):
        a, b = params((3,), (2,))
        opt = optim.Adam([a, b], backend=backend, on_nonfinite=mode)
        set_grads([a, b], 0)
        opt.step()
        before = ([a.data.copy(), b.data.copy()],
                  opt.state_dict()["state"])
        a.grad = np.array([1.0, np.nan, 2.0])
        b.grad = np.ones(2)
        if mode == "raise":
            with pytest.raises(FloatingPointError, match="parameter 0 has 1 "
                               "non-finite"):
                opt.step()
        else:
            opt.step()
            assert opt.skipped_steps == 1
        np.testing.assert_array_equal(a.data, before[0][0])
        np.testing.assert_array_equal(b.data, before[0][1])
        after = opt.state_dict()["state"]
        for pid in before[1]:
            assert after[pid]["step"] == before[1][pid]["step"] == 1
            np.testing.assert_array_equal(after[pid]["exp_avg"],
                                          before[1][pid]["exp_avg"])
    a = params((2,))[0]
    opt = optim.SGD([a])  # default: no check, the NaN goes through
    a.grad = np.array([np.inf, 0.0])
    opt.step()
    assert not np.isfinite(a.data[0])
