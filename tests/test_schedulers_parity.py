"""The learning-rate schedulers against torch.optim.lr_scheduler: the same
rates (every group, every step, momentum too for OneCycleLR) for hundreds of
steps, a state_dict round trip in the middle that changes nothing, and
``add_param_group`` against torch. Torch is optional: those tests skip."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minigrad import nn, optim
from minigrad.optim import lr_scheduler as M

STEPS = 300


def torch_or_skip():
    return pytest.importorskip("torch")


def optimizers(kind, torch=None):
    """Two param groups with different rates; ours and, if given, torch's."""
    ours = [nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(3))]
    groups = lambda ps: [{"params": [ps[0]]},  # noqa: E731
                         {"params": [ps[1]], "lr": 0.3}]
    cls = {"sgd": (optim.SGD, dict(momentum=0.9)), "adam": (optim.Adam, {})}
    make, options = cls[kind]
    opt = make(groups(ours), lr=0.1, backend="numpy", **options)
    if torch is None:
        return opt, None
    theirs = [torch.zeros(2, dtype=torch.float64, requires_grad=True),
              torch.zeros(3, dtype=torch.float64, requires_grad=True)]
    tmake = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[kind]
    return opt, tmake(groups(theirs), lr=0.1, **options)


# (name, maker taking (optimizer, scheduler module), steps it allows)
CASES = {
    "StepLR": lambda o, L: L.StepLR(o, 7, 0.5),
    "MultiStepLR": lambda o, L: L.MultiStepLR(o, [3, 50, 50, 200], 0.5),
    "ExponentialLR": lambda o, L: L.ExponentialLR(o, 0.99),
    "LinearLR": lambda o, L: L.LinearLR(o, 0.05, 0.8, 40),
    "LinearLR_default": lambda o, L: L.LinearLR(o),
    "LambdaLR": lambda o, L: L.LambdaLR(o, [lambda t: 1 / (1 + t),
                                            lambda t: 0.99 ** t]),
    "CosineAnnealingLR": lambda o, L: L.CosineAnnealingLR(o, 100, 0.001),
    "OneCycleLR": lambda o, L: L.OneCycleLR(o, [1.0, 2.0], total_steps=STEPS),
    "OneCycleLR_3phase_linear": lambda o, L: L.OneCycleLR(
        o, 0.5, epochs=30, steps_per_epoch=10, three_phase=True,
        anneal_strategy="linear", pct_start=0.4, div_factor=10,
        base_momentum=0.8, max_momentum=0.9),
    "SequentialLR": lambda o, L: L.SequentialLR(
        o, [L.LinearLR(o, 0.01, 1.0, 20), L.CosineAnnealingLR(o, 250, 1e-4)],
        milestones=[20]),
    "SequentialLR_3": lambda o, L: L.SequentialLR(
        o, [L.ExponentialLR(o, 0.9), L.StepLR(o, 25, 0.5),
            L.MultiStepLR(o, [10, 30], 0.3)], milestones=[9, 120]),
    "ChainedScheduler": lambda o, L: L.ChainedScheduler(
        [L.ExponentialLR(o, 0.995), L.MultiStepLR(o, [50, 150], 0.5),
         L.LinearLR(o, 0.2, 1.0, 30)]),
}


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"]
            for g in opt.param_groups]


def trace(opt, sched, steps):
    """Rates and momenta after each of ``steps`` scheduler steps."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's step-order warnings
        for _ in range(steps):
            opt.step()
            sched.step()
            out.append(list(sched.get_last_lr()) +
                       [g["lr"] for g in opt.param_groups] + momenta(opt))
    return np.array(out)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_rates_match_torch_for_many_steps(name, kind):
    torch = torch_or_skip()
    opt, topt = optimizers(kind, torch)
    ours = trace(opt, CASES[name](opt, M), STEPS)
    theirs = trace(topt, CASES[name](topt, torch.optim.lr_scheduler), STEPS)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_dict_round_trip_mid_run_changes_nothing(name):
    opt, _ = optimizers("adam")
    sched = CASES[name](opt, M)
    whole = trace(opt, sched, 120)
    opt, _ = optimizers("adam")
    sched = CASES[name](opt, M)
    first = trace(opt, sched, 50)
    saved = (opt.state_dict(), sched.state_dict())
    opt2, _ = optimizers("adam")
    sched2 = CASES[name](opt2, M)
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    rest = trace(opt2, sched2, 70)
    np.testing.assert_array_equal(np.vstack([first, rest]), whole)


def test_a_bad_state_changes_nothing():
    opt, _ = optimizers("sgd")
    sched = M.SequentialLR(opt, [M.LinearLR(opt), M.ExponentialLR(opt, 0.9)],
                           milestones=[5])
    trace(opt, sched, 8)
    state = sched.state_dict()
    before = (sched.last_epoch, [g["lr"] for g in opt.param_groups])
    broken = dict(state, children=[state["children"][0]])
    with pytest.raises(ValueError, match="child states"):
        sched.load_state_dict(broken)
    assert (sched.last_epoch, [g["lr"] for g in opt.param_groups]) == before
    opt, _ = optimizers("sgd")
    other = M.OneCycleLR(opt, 1.0, total_steps=10)
    with pytest.raises(ValueError, match="total_steps"):
        other.load_state_dict(dict(other.state_dict(), total_steps=11))


PLATEAU = [dict(), dict(mode="max", threshold_mode="abs", threshold=0.05),
           dict(patience=0, cooldown=3, factor=0.5, min_lr=[1e-3, 0.05]),
           dict(patience=4, threshold=0.1, eps=1e-3)]


@pytest.mark.parametrize("settings_", PLATEAU, ids=str)
def test_reduce_on_plateau_matches_torch(settings_):
    torch = torch_or_skip()
    opt, topt = optimizers("sgd", torch)
    ours = M.ReduceLROnPlateau(opt, **settings_)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **settings_)
    rng = np.random.default_rng(0)
    for i in range(STEPS):
        metric = float(np.exp(-i / 40) + 0.05 * rng.random())
        if settings_.get("mode") == "max":
            metric = -metric
        ours.step(metric)
        theirs.step(metric)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(),
                                                   rel=1e-15)
        if i == 150:  # round trip mid-run
            again = M.ReduceLROnPlateau(opt, **settings_)
            again.load_state_dict(ours.state_dict())
            ours = again
    assert ours.get_last_lr() != [0.1, 0.3]  # it did cut the rates


def test_reduce_on_plateau_bad_arguments():
    opt, _ = optimizers("sgd")
    for kwargs, error in [(dict(mode="lowest"), ValueError),
                          (dict(factor=1.0), ValueError),
                          (dict(threshold_mode="pct"), ValueError),
                          (dict(min_lr=[0.1]), ValueError)]:
        with pytest.raises(error):
            M.ReduceLROnPlateau(opt, **kwargs)
    sched = M.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match="NaN"):
        sched.step(math.nan)
    with pytest.raises(KeyError):
        sched.load_state_dict({"best": 1.0})


@pytest.mark.parametrize("call,error,match", [
    (lambda o: M.OneCycleLR(o, 1.0), ValueError, "total_steps"),
    (lambda o: M.OneCycleLR(o, [1.0], 10), ValueError, "max_lr"),
    (lambda o: M.LambdaLR(o, [lambda t: 1.0]), ValueError, "lr_lambdas"),
    (lambda o: M.LambdaLR(o, 2.0), TypeError, "function"),
    (lambda o: M.SequentialLR(o, [M.LinearLR(o)], [3]), ValueError,
     "milestones"),
    (lambda o: M.SequentialLR(o, [M.LinearLR(o), M.LinearLR(o)], [3, 1]),
     ValueError, "milestones"),
    (lambda o: M.ChainedScheduler([M.LinearLR(o), M.LinearLR(optimizers(
        "sgd")[0])]), ValueError, "same optimizer"),
    (lambda o: M.LinearLR(o, start_factor=0), ValueError, "start_factor"),
    (lambda o: M.MultiStepLR(o, 5), TypeError, "milestones"),
    (lambda o: M.ExponentialLR(o, 0.0), ValueError, "gamma"),
])
def test_bad_scheduler_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call(optimizers("sgd")[0])


def test_onecycle_refuses_a_step_past_total_steps_and_changes_nothing():
    opt, _ = optimizers("sgd")
    sched = M.OneCycleLR(opt, 1.0, total_steps=5)
    trace(opt, sched, 5)
    lrs = [g["lr"] for g in opt.param_groups]
    with pytest.raises(ValueError, match="total_steps=5"):
        sched.step()
    assert sched.last_epoch == 5 and [g["lr"] for g in opt.param_groups] == lrs


@settings(max_examples=40, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(kind=st.sampled_from(["step", "multistep", "exp", "linear", "onecycle"]),
       a=st.integers(1, 60), b=st.integers(1, 60),
       gamma=st.floats(0.5, 0.999), pct=st.floats(0.05, 0.95))
def test_random_schedules_match_torch(kind, a, b, gamma, pct):
    torch = torch_or_skip()
    makers = {
        "step": lambda o, L: L.StepLR(o, a, gamma),
        "multistep": lambda o, L: L.MultiStepLR(o, [a, a + b, 2 * b], gamma),
        "exp": lambda o, L: L.ExponentialLR(o, gamma),
        "linear": lambda o, L: L.LinearLR(o, min(gamma, pct), gamma, a),
        "onecycle": lambda o, L: L.OneCycleLR(o, gamma, total_steps=a + b + 10,
                                              pct_start=pct),
    }
    opt, topt = optimizers("adam", torch)
    steps = a + b + 10
    ours = trace(opt, makers[kind](opt, M), steps)
    theirs = trace(topt, makers[kind](topt, torch.optim.lr_scheduler), steps)
    np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=0)


# ---- add_param_group ------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_add_param_group_matches_torch(kind, rng):
    """A group added after some steps, with its own options, steps as in
    torch, and its parameters get the next state ids."""
    torch = torch_or_skip()
    make = {"sgd": (optim.SGD, torch.optim.SGD, dict(momentum=0.9),
                    dict(lr=0.05, momentum=0.5, nesterov=True)),
            "adam": (optim.Adam, torch.optim.Adam, dict(weight_decay=0.01),
                     dict(lr=0.01, betas=(0.8, 0.9), amsgrad=True))}
    ours_cls, theirs_cls, options, extra = make[kind]
    values = [rng.standard_normal(3), rng.standard_normal((2, 2))]
    ours = [nn.Parameter(v.copy()) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    opt = ours_cls([ours[0]], lr=0.1, backend="numpy", **options)
    topt = theirs_cls([theirs[0]], lr=0.1, **options)
    for step in range(6):
        if step == 2:
            opt.add_param_group({"params": [ours[1]], **extra})
            topt.add_param_group({"params": [theirs[1]], **extra})
        grads = [rng.standard_normal(v.shape) for v in values]
        for p, tp, g in zip(ours, theirs, grads):
            p.grad, tp.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
        for p, tp in zip(ours, theirs):
            np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-13,
                                       atol=1e-15)
    assert opt.state_dict()["param_groups"][1]["params"] == [1]
    for key, value in topt.param_groups[1].items():
        if key != "params" and key in opt.param_groups[1]:
            assert opt.param_groups[1][key] == value


def test_add_param_group_refuses_what_torch_refuses():
    p, q = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    opt = optim.SGD([p], lr=0.1, backend="numpy")
    with pytest.raises(ValueError, match="twice"):
        opt.add_param_group({"params": [p]})
    with pytest.raises(TypeError, match="set"):
        opt.add_param_group({"params": {q}})
    with pytest.raises(ValueError, match="unknown"):
        opt.add_param_group({"params": [q], "betas": (0.9, 0.99)})
    assert len(opt.param_groups) == 1  # nothing was added


def test_snapshot_and_restore_carry_buffers_and_the_new_schedulers(tmp_path):
    """A run with BatchNorm buffers, a SequentialLR and a ReduceLROnPlateau
    saved with mg.snapshot and restored into fresh objects continues bit for
    bit as the uninterrupted run."""
    import minigrad as mg
    from minigrad.nn import F

    def build():
        mg.manual_seed(0)
        model = nn.MLP([3, 8, 2], norm="batch", dtype=np.float64)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                        backend="numpy")
        seq = M.SequentialLR(opt, [M.LinearLR(opt, 0.1, 1.0, 4),
                                   M.ExponentialLR(opt, 0.9)], milestones=[4])
        return model, opt, seq, M.ReduceLROnPlateau(opt, patience=1)

    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((6, 3)), rng.integers(0, 2, 6))
               for _ in range(12)]

    def steps(objects, part):
        model, opt, seq, plateau = objects
        for X, y in part:
            loss = F.cross_entropy(model(mg.Tensor(X)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            seq.step()
            plateau.step(round(loss.item(), 1))
        return model.state_dict()

    whole = steps(build(), batches)
    first = build()
    steps(first, batches[:5])
    names = ("model", "optimizer", "sequential", "plateau")
    mg.save(mg.snapshot(**dict(zip(names, first))), tmp_path / "run.ckpt")
    second = build()
    mg.restore(mg.load(tmp_path / "run.ckpt"), **dict(zip(names, second)))
    resumed = steps(second, batches[5:])
    assert list(resumed) == list(whole)
    for key in whole:
        np.testing.assert_array_equal(resumed[key], whole[key])


PER_GROUP = [
    ("SGD", "SGD", dict(lr=0.1), dict(lr=0.03, momentum=0.9, dampening=0.1,
                                      weight_decay=0.01)),
    ("SGD", "SGD", dict(lr=0.1, momentum=0.5), dict(nesterov=True)),
    ("Adam", "Adam", dict(lr=0.01), dict(betas=(0.8, 0.99), eps=1e-6,
                                         weight_decay=0.1, amsgrad=True)),
    ("AdamW", "AdamW", dict(lr=0.01), dict(lr=0.1, weight_decay=0.5)),
    ("AdaGrad", "Adagrad", dict(lr=0.1), dict(lr_decay=0.01, eps=1e-3,
                                              weight_decay=0.2)),
    ("RMSProp", "RMSprop", dict(lr=0.01), dict(alpha=0.9, momentum=0.5,
                                               centered=True)),
]


@pytest.mark.parametrize("ours_name,theirs_name,defaults,group", PER_GROUP,
                         ids=[f"{a}-{sorted(d)}" for a, _, _, d in PER_GROUP])
@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_per_group_options_match_torch(ours_name, theirs_name, defaults, group,
                                       backend, rng):
    """Two groups, the second overriding options, five steps: the parameters
    are torch's (float64)."""
    torch = torch_or_skip()
    values = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    ours = [nn.Parameter(v.copy()) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    opt = getattr(optim, ours_name)([{"params": [ours[0]]},
                                     {"params": [ours[1]], **group}],
                                    backend=backend, **defaults)
    topt = getattr(torch.optim, theirs_name)([{"params": [theirs[0]]},
                                              {"params": [theirs[1]], **group}],
                                             **defaults)
    for _ in range(5):
        for p, tp in zip(ours, theirs):
            g = rng.standard_normal(p.shape)
            p.grad, tp.grad = g, torch.tensor(g)
        opt.step()
        topt.step()
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12,
                                   atol=1e-14)


def test_adagrad_starts_a_group_at_its_own_initial_accumulator_value():
    """Where we differ from torch: torch.optim.Adagrad fills every group's
    ``sum`` with the constructor's ``initial_accumulator_value`` and ignores
    a group's own; minigrad uses the group's."""
    p, q = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    opt = optim.AdaGrad([{"params": [p]},
                         {"params": [q], "initial_accumulator_value": 0.2}],
                        lr=0.1, backend="numpy")
    p.grad, q.grad = np.ones(2), np.ones(2)
    opt.step()
    assert np.allclose(opt.state[p]["sum"], 1.0)
    assert np.allclose(opt.state[q]["sum"], 1.2)


def test_reduce_on_plateau_keeps_a_cut_of_exactly_eps_as_torch():
    """A cut is made only when it changes the rate by more than eps."""
    torch = torch_or_skip()
    opt, topt = optimizers("sgd", torch)
    for o in (opt, topt):
        o.param_groups[0]["lr"] = 0.5  # a cut to 0.25 changes it by 0.25
    ours = M.ReduceLROnPlateau(opt, factor=0.5, patience=0, eps=0.25)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(
        topt, factor=0.5, patience=0, eps=0.25)
    for metric in (1.0, 2.0, 3.0):
        ours.step(metric)
        theirs.step(metric)
    assert ours.get_last_lr() == theirs.get_last_lr() == [0.5, 0.3]
