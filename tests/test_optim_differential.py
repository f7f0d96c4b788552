"""Whole training loops against PyTorch float64, step by step (hypothesis).

Each example draws an MLP (sizes), one of the seven rules with valid options,
a ``zero_grad`` mode, one or two param groups, a way of changing the rate
mid-run (none, ``param_groups`` edits, or a scheduler) and maybe a
``state_dict`` round trip into a fresh optimizer in the middle. minigrad's
engine makes the gradients and its optimizer steps; PyTorch's autograd and
``torch.optim`` do the same from the same start; the parameters must agree
after every step, on the ``numpy`` and ``cpu`` backends.

* ``Momentum(lr=eta, beta=b)`` is compared with its documented equivalent
  ``torch.optim.SGD(lr=eta * (1 - b), momentum=b)`` (the buffers differ by
  the factor ``1 - b``, the steps do not).
* LAMB has no PyTorch class: it is compared with the float64 formula of
  You et al. 2019, Algorithm 2, written out below independently of
  ``minigrad.optim.lamb``.
* The rate PyTorch uses is read from minigrad's ``param_groups`` before each
  step, so whatever changed it (an edit, a scheduler, a load) must have
  reached minigrad's step too.

The default run is bounded and derandomized; the ``slow`` twin explores 20
times more (``MINIGRAD_FUZZ_EXPLORE=1`` draws fresh examples there).
"""
import copy
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn, optim
from minigrad.optim import lr_scheduler

torch = pytest.importorskip("torch")

RULES = ["SGD", "Momentum", "AdaGrad", "RMSProp", "Adam", "AdamW", "LAMB"]
RATE = st.floats(1e-3, 0.3)
DECAY = st.sampled_from([0.0, 0.0, 1e-3, 0.1, 1.0])
BETA = st.floats(0.0, 0.99)


@st.composite
def rule_options(draw, rule):
    """Valid options of ``rule`` (defaults left out at random)."""
    opts = {"lr": draw(RATE), "weight_decay": draw(DECAY)}
    if rule == "SGD":
        momentum = draw(st.sampled_from([0.0, 0.5, 0.9]))
        nesterov = momentum > 0 and draw(st.booleans())
        opts.update(momentum=momentum, nesterov=nesterov,
                    dampening=0.0 if nesterov else draw(st.sampled_from(
                        [0.0, 0.3])))
    elif rule == "Momentum":
        opts["beta"] = draw(BETA)
    elif rule == "AdaGrad":
        opts.update(lr_decay=draw(st.sampled_from([0.0, 0.05])),
                    initial_accumulator_value=draw(st.sampled_from([0.0, 0.1])),
                    eps=draw(st.sampled_from([1e-10, 1e-6])))
    elif rule == "RMSProp":
        opts.update(alpha=draw(st.floats(0.5, 0.999)),
                    eps=draw(st.sampled_from([1e-8, 1e-4])),
                    momentum=draw(st.sampled_from([0.0, 0.5])),
                    centered=draw(st.booleans()))
    else:  # the Adam family
        opts.update(betas=(draw(BETA), draw(st.floats(0.5, 0.999))),
                    eps=draw(st.sampled_from([1e-8, 1e-6, 1e-3])))
        if rule != "LAMB":
            opts["amsgrad"] = draw(st.booleans())
        else:
            opts["adapt"] = draw(st.booleans())
            low = draw(st.sampled_from([None, 0.0, 0.5, 2.0]))
            opts["clip"] = None if low is None else (low, low + draw(
                st.sampled_from([0.0, 1.0, 10.0])))
    return opts


@st.composite
def runs(draw):
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=4))
    rule = draw(st.sampled_from(RULES))
    return dict(
        sizes=sizes, batch=draw(st.integers(1, 5)), rule=rule,
        options=draw(rule_options(rule)),
        # the biases in a second group with their own rate and decay
        split=draw(st.booleans()), bias_lr=draw(RATE), bias_wd=draw(DECAY),
        set_to_none=draw(st.booleans()), steps=draw(st.integers(2, 7)),
        rate_change=draw(st.sampled_from(
            ["none", "edit", "StepLR", "CosineAnnealingLR", "LinearWarmup"])),
        round_trip=draw(st.one_of(st.none(), st.integers(1, 6))),
        seed=draw(st.integers(0, 2**16)))


# ------------------------------------------------------------------ torch side
def torch_rate(rule, lr, group):
    return lr * (1 - group["beta"]) if rule == "Momentum" else lr


def torch_optimizer(rule, groups, options):
    """``groups``: the param groups with torch tensors and each group's own
    ``lr`` and ``weight_decay``; ``options``: the rule's other settings
    (given to the constructor: torch's Adagrad reads
    ``initial_accumulator_value`` from there only)."""
    if rule == "LAMB":
        return LambFormula([{**options, **g} for g in groups])
    options = dict(options)
    if rule == "Momentum":
        beta = options.pop("beta")
        options["momentum"] = beta
        groups = [{**g, "lr": g["lr"] * (1 - beta)} for g in groups]
        options["lr"] = options["lr"] * (1 - beta)
    cls = {"SGD": torch.optim.SGD, "Momentum": torch.optim.SGD,
           "AdaGrad": torch.optim.Adagrad, "RMSProp": torch.optim.RMSprop,
           "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[rule]
    if rule not in ("SGD", "Momentum"):
        options["foreach"] = False
    return cls(groups, **options)


class LambFormula:
    """LAMB in float64 NumPy, written from the paper (Algorithm 2):
    m, v as Adam; u = m_hat / (sqrt(v_hat) + eps) + wd p;
    r = phi(||p||) / ||u|| (1 if either is 0, or the group does not adapt),
    phi(z) = min(max(z, gamma_l), gamma_u) or z; p -= lr r u."""

    def __init__(self, groups):
        self.param_groups = [dict(g) for g in groups]
        self.state = {}

    def step(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.numpy()
                s = self.state.setdefault(id(p), {"t": 0, "m": 0.0, "v": 0.0})
                s["t"] += 1
                s["m"] = beta1 * s["m"] + (1 - beta1) * g
                s["v"] = beta2 * s["v"] + (1 - beta2) * g * g
                m_hat = s["m"] / (1 - beta1 ** s["t"])
                v_hat = s["v"] / (1 - beta2 ** s["t"])
                w = p.detach().numpy()
                u = m_hat / (np.sqrt(v_hat) + group["eps"]) \
                    + group["weight_decay"] * w
                w_norm, u_norm = np.linalg.norm(w), np.linalg.norm(u)
                if group["clip"] is not None:
                    w_norm = min(max(w_norm, group["clip"][0]), group["clip"][1])
                r = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
                if not group["adapt"]:
                    r = 1.0
                with torch.no_grad():
                    p -= torch.from_numpy(group["lr"] * r * u)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.zero_()


# -------------------------------------------------------------- one training run
def make_groups(params, run):
    if not run["split"]:
        return [{"params": params}]
    weights, biases = params[0::2], params[1::2]
    return [{"params": weights},
            {"params": biases, "lr": run["bias_lr"],
             "weight_decay": run["bias_wd"]}]


def make_scheduler(kind, opt):
    if kind == "StepLR":
        return lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    if kind == "CosineAnnealingLR":
        return lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=1e-3)
    if kind == "LinearWarmup":
        return lr_scheduler.LinearWarmup(opt, warmup_steps=3)
    return None


def check_run(run, backend):
    rng = np.random.default_rng(run["seed"])
    sizes = run["sizes"]
    mg.manual_seed(run["seed"])
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(n_in, n_out, dtype=np.float64), nn.Tanh()]
    model = nn.Sequential(*layers[:-1])
    params = list(model.parameters())
    twins = [torch.tensor(p.data.copy(), requires_grad=True) for p in params]
    x = rng.standard_normal((run["batch"], sizes[0]))
    y = rng.standard_normal((run["batch"], sizes[-1]))
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)

    cls = getattr(optim, run["rule"])
    options = run["options"]

    def build():
        return cls(make_groups(params, run), backend=backend, **options)

    opt = build()
    scheduler = make_scheduler(run["rate_change"], opt)
    twin_of = {id(p): q for p, q in zip(params, twins)}
    ref = torch_optimizer(run["rule"], [
        {"params": [twin_of[id(p)] for p in group["params"]], "lr": group["lr"],
         "weight_decay": group["weight_decay"]} for group in opt.param_groups],
        options)

    for step in range(run["steps"]):
        opt.zero_grad(set_to_none=run["set_to_none"])
        ref.zero_grad(set_to_none=run["set_to_none"])
        ((model(mg.Tensor(x)) - mg.Tensor(y)) ** 2).mean().backward()
        h = x_t
        for i in range(0, len(twins), 2):
            h = h @ twins[i].T + twins[i + 1]
            if i + 2 < len(twins):
                h = torch.tanh(h)
        ((h - y_t) ** 2).mean().backward()
        for ours, theirs in zip(opt.param_groups, ref.param_groups):
            theirs["lr"] = torch_rate(run["rule"], ours["lr"], ours)
        opt.step()
        ref.step()
        for k, (p, q) in enumerate(zip(params, twins)):
            np.testing.assert_allclose(
                p.data, q.detach().numpy(), rtol=1e-9, atol=1e-12,
                err_msg=f"step {step + 1}, parameter {k}, {run}")
        if scheduler is not None:
            scheduler.step()
        elif run["rate_change"] == "edit":
            for group in opt.param_groups:
                group["lr"] = group["lr"] * (0.5 if step % 2 else 1.5)
        if run["round_trip"] == step + 1:
            saved = copy.deepcopy(opt.state_dict())
            opt = build()
            opt.load_state_dict(saved)
            if scheduler is not None:
                state = scheduler.state_dict()
                scheduler = make_scheduler(run["rate_change"], opt)
                scheduler.load_state_dict(state)


# ------------------------------------------------------------------- the tests
EXAMPLES = 30


def differential(n, derandomize):
    return settings(max_examples=n, derandomize=derandomize, deadline=None,
                    suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@differential(EXAMPLES, derandomize=True)
@given(run=runs())
def test_training_loops_match_torch(backend, run):
    check_run(run, backend)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@differential(20 * EXAMPLES,
              derandomize=not os.environ.get("MINIGRAD_FUZZ_EXPLORE"))
@given(run=runs())
def test_training_loops_match_torch_explore(backend, run):
    check_run(run, backend)


def test_the_comparison_can_fail():
    """Guard against a vacuous oracle: a beta1 off by 1e-6 on our side only
    is caught at step 2 (step 1 of Adam does not depend on beta1)."""
    run = dict(sizes=[3, 4, 2], batch=3, rule="Adam",
               options=dict(lr=0.1, weight_decay=0.0, betas=(0.9, 0.999),
                            eps=1e-8, amsgrad=False),
               split=False, bias_lr=0.1, bias_wd=0.0, set_to_none=True,
               steps=2, rate_change="none", round_trip=None, seed=0)
    check_run(run, "numpy")
    original = optim.Adam.__init__

    def off_by_a_bit(self, params, betas=(0.9, 0.999), **kwargs):
        original(self, params, betas=(betas[0] * (1 + 1e-6), betas[1]),
                 **kwargs)

    optim.Adam.__init__ = off_by_a_bit
    try:
        with pytest.raises(AssertionError, match="step 2"):
            check_run(run, "numpy")
    finally:
        optim.Adam.__init__ = original
