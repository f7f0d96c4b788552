"""``lr_find``: the exponential schedule, the smoothing, the stop, the
suggestion, and -- above all -- that running it changes nothing: the model,
the optimizer (state, hyperparameters, LAMB's reports), the gradients, the
random generator and the loader are bit-identical afterwards, so training
on gives the numbers it gives without the test."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.cli import main
from minigrad.config import rng
from minigrad.data import DataLoader
from minigrad.diagnostics import lr_find
from minigrad.diagnostics.lrfind import lr_schedule, smooth, steepest
from minigrad.nn import functional as F
from minigrad.viz.registry import OPTIMIZERS, optimizer_class


def setup(name, backend="cpu", seed=0):
    """A net with BatchNorm and Dropout (buffers, random draws), a loader,
    and an optimizer that has taken a few steps (it has state)."""
    mg.manual_seed(seed)
    model = nn.MLP([2, 8, 8, 3], norm="batch", dropout=0.2, dtype=np.float64)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((64, 2))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    loader = DataLoader(X, y, batch_size=16, shuffle=True, seed=seed)
    opt = optimizer_class(name)(model.parameters(), lr=0.01, backend=backend)
    for xb, yb in loader:
        train_step(model, opt, xb, yb)
    return model, opt, loader


def train_step(model, opt, xb, yb):
    loss = F.cross_entropy(model(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def everything(model, opt, loader):
    """Every value lr_find could disturb, copied."""
    params = list(model.parameters())
    live = opt.state
    return {
        "model": {k: v.copy() for k, v in model.state_dict().items()},
        "opt": opt.state_dict(),
        "reports": [dict(live[p]).get("trust_ratio") for p in params],
        "grads": [p.grad.copy() for p in params],
        "rng": rng().bit_generator.state,
        "loader": loader.state_dict(),
        "counters": (opt.kernel_calls, opt.skipped_steps),
        "modes": [m.training for m in model.modules()],
    }


def assert_same(a, b):
    for k in a["model"]:
        np.testing.assert_array_equal(a["model"][k], b["model"][k], err_msg=k)
    assert a["opt"]["param_groups"] == b["opt"]["param_groups"]
    assert a["opt"]["state"].keys() == b["opt"]["state"].keys()
    for pid, entry in a["opt"]["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(value, b["opt"]["state"][pid][key])
    assert a["reports"] == b["reports"]
    for g, h in zip(a["grads"], b["grads"]):
        np.testing.assert_array_equal(g, h)
    for key in ("rng", "loader", "counters", "modes"):
        assert a[key] == b[key], key


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_running_it_changes_nothing(name, backend):
    model, opt, loader = setup(name, backend)
    before = everything(model, opt, loader)
    result = lr_find(model, opt, loader, steps=30, start_lr=1e-4,
                     end_lr=100.0)
    assert len(result.losses) >= 2
    assert_same(before, everything(model, opt, loader))
    # and training on gives what it gives without the test, bit for bit
    # (one after the other: Dropout's draws come from one global generator)
    finals = []
    for make in (lambda: (model, opt, loader), lambda: setup(name, backend)):
        net, net_opt, net_loader = make()
        for _ in range(2):
            for xb, yb in net_loader:
                train_step(net, net_opt, xb, yb)
        finals.append([p.data.copy() for p in net.parameters()])
    for p, q in zip(*finals):
        np.testing.assert_array_equal(p, q)


def test_state_is_restored_when_the_loss_function_fails():
    model, opt, loader = setup("adam")
    before = everything(model, opt, loader)
    calls = []

    def failing(out, target):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("boom")
        return F.cross_entropy(out, target)

    with pytest.raises(RuntimeError, match="boom"):
        lr_find(model, opt, loader, loss_fn=failing, steps=20)
    assert_same(before, everything(model, opt, loader))


def test_each_step_uses_the_next_lr_of_the_exponential_schedule():
    model, opt, loader = setup("sgd")
    used = []
    real_step = opt.step

    def spy():
        used.append([g["lr"] for g in opt.param_groups])
        real_step()

    opt.step = spy
    result = lr_find(model, opt, loader, start_lr=1e-3, end_lr=1e-1,
                     steps=9, diverge=1e9)
    del opt.step
    want = 1e-3 * 10 ** (np.arange(9) / 4)
    np.testing.assert_allclose(result.lrs, want, rtol=1e-12)
    np.testing.assert_allclose([u[0] for u in used], want, rtol=1e-12)
    assert not result.diverged and opt.param_groups[0]["lr"] == 0.01
    ratios = result.lrs[1:] / result.lrs[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-12)


def test_smoothing_is_a_bias_corrected_moving_average():
    np.testing.assert_allclose(smooth([3.0] * 5, 0.98), [3.0] * 5, rtol=1e-14)
    x = np.random.default_rng(0).standard_normal(20)
    avg, want = 0.0, []
    for i, v in enumerate(x):
        avg = 0.9 * avg + 0.1 * v
        want.append(avg / (1 - 0.9 ** (i + 1)))
    np.testing.assert_allclose(smooth(x, 0.9), want, rtol=1e-12)


def test_steepest_finds_the_fastest_descent_before_the_minimum():
    lrs = np.logspace(-5, 1, 121)
    centre = 1e-2  # a sigmoid step down, centred at 1e-2, then a blow-up
    curve = 1 - 0.8 / (1 + np.exp(-3 * (np.log(lrs) - np.log(centre))))
    curve = curve + np.where(lrs > 1, 50 * (lrs - 1), 0)
    got = steepest(lrs, curve, 3)
    assert got == pytest.approx(centre, rel=0.13)  # within one grid point
    # a steeper drop after the minimum (the blow-up's mirror) is not chosen
    tail = curve.copy()
    tail[-5:] = [5, 3, 2, 1.5, 1.2]
    assert steepest(lrs, tail, 3) == got
    # a drop among the first points (a moving average of a few batches)
    # counts only from ``start`` on
    head = curve.copy()
    head[:8] = np.linspace(3, curve[8], 8)
    assert steepest(lrs, head, 3) == lrs[3]
    assert steepest(lrs, head, 3, start=10) == got


def test_it_stops_once_the_smoothed_loss_exceeds_k_times_its_minimum():
    model, opt, loader = setup("sgd")
    result = lr_find(model, opt, loader, start_lr=1e-2, end_lr=1e6,
                     steps=60, diverge=3.0)
    assert result.diverged and len(result.losses) < 60
    s = result.smoothed
    finite = len(s) == len(result.losses)
    if finite:  # stopped by the rule, not by an inf/nan loss
        assert s[-1] > 3.0 * s[:-1].min()
        running = np.minimum.accumulate(s[:-1])
        assert (s[1:-1] <= 3.0 * running[:-1]).all()
    assert result.min_lr == result.lrs[int(np.argmin(s))]
    assert result.suggestion <= result.min_lr
    assert "suggested lr" in str(result)


def test_bad_settings_are_refused_before_anything_changes():
    model, opt, loader = setup("adam")
    before = everything(model, opt, loader)
    for kwargs, word in [({"start_lr": 1.0, "end_lr": 0.1}, "start_lr"),
                         ({"steps": 1}, "steps"), ({"beta": 1.0}, "beta"),
                         ({"diverge": 1.0}, "diverge"),
                         ({"width": 0.7}, "width")]:
        with pytest.raises(ValueError, match=word):
            lr_find(model, opt, loader, **kwargs)
    assert_same(before, everything(model, opt, loader))
    with pytest.raises(ValueError, match="steps"):
        lr_schedule(1e-3, 1.0, 2.5)


def test_plot_marks_the_suggestion_and_the_minimum(tmp_path):
    pytest.importorskip("matplotlib")
    model, opt, loader = setup("adam")
    result = lr_find(model, opt, loader, steps=40)
    fig = result.plot(tmp_path / "lr.png")
    assert (tmp_path / "lr.png").stat().st_size > 0
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    labels = ax.get_legend_handles_labels()[1]
    assert f"steepest: {result.suggestion:.2g}" in labels
    assert f"minimum: {result.min_lr:.2g}" in labels


def test_the_command_prints_the_suggestion_per_rule(tmp_path, capsys):
    path = tmp_path / "lr.png"
    assert main(["lrfind", "--optimizer", "sgd,adam", "--steps", "40",
                 "--samples", "200", "--plot", str(path)]) == 0
    out = capsys.readouterr().out
    assert "SGD" in out and "Adam" in out and "suggested lr" in out
    if path.exists():  # matplotlib present
        assert path.stat().st_size > 0


def test_the_command_refuses_a_bad_range(capsys):
    assert main(["lrfind", "--start-lr", "1", "--end-lr", "0.1",
                 "--no-plot"]) == 1
    assert "start_lr" in capsys.readouterr().err
