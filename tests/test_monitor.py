"""``Monitor`` records what each step did to each tensor.

The recorded norms are checked against values the test computes itself from
copies of the parameters taken before and after each step, for every rule
and backend; LAMB's trust ratio against ``||p0|| / ||u||`` with ``u`` from
the paper's formula; the dead-unit fraction against the hidden activations
computed by hand. Recording must not change a run (bit for bit), and a
stopped monitor leaves the model's modules as they were. (Speed with
recording off: benchmarks/bench_monitor.py.)
"""
import copy
import pickle

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.diagnostics import Monitor
from minigrad.nn import functional as F
from minigrad.viz.registry import OPTIMIZERS, optimizer_class

BACKENDS = ["numpy", "cpu", "cuda"]
LRS = {"sgd": 0.1, "momentum": 0.1, "adagrad": 0.1, "rmsprop": 0.01,
       "adam": 0.01, "adamw": 0.01, "lamb": 0.01}


def small_run(name, backend, seed=0, sizes=(3, 5, 4, 2)):
    mg.manual_seed(seed)
    model = nn.MLP(list(sizes), dtype=np.float64)
    extra = {"weight_decay": 0.01} if name in ("adamw", "lamb") else {}
    opt = optimizer_class(name)(model.parameters(), lr=LRS[name],
                                backend=backend, **extra)
    rng = np.random.default_rng(seed)
    data = [(rng.standard_normal((8, sizes[0])), rng.integers(0, sizes[-1], 8))
            for _ in range(4)]
    return model, opt, data


def step(model, opt, x, y):
    loss = F.cross_entropy(model(mg.Tensor(x)), mg.Tensor(y))
    opt.zero_grad()
    loss.backward()
    opt.step()


def norm(x):
    return float(np.linalg.norm(np.asarray(x, dtype=np.float64).ravel()))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_recorded_norms_match_the_parameters_before_and_after(name, backend):
    model, opt, data = small_run(name, backend)
    params = list(model.parameters())
    mon = Monitor(model, opt)
    want = {k: [] for k in ("grad_norm", "weight_norm", "update_norm",
                            "ratio", "trust_ratio")}
    for x, y in data:
        before = [p.data.copy() for p in params]
        step(model, opt, x, y)
        mon.record()
        want["grad_norm"].append([norm(p.grad) for p in params])
        want["weight_norm"].append([norm(b) for b in before])
        want["update_norm"].append([norm(p.data - b)
                                    for p, b in zip(params, before)])
        want["ratio"].append([norm(p.data - b) / norm(b) if norm(b) > 0
                              else np.nan for p, b in zip(params, before)])
        trusts = []
        for p, b in zip(params, before):
            if name != "lamb":
                trusts.append(np.nan)
                continue
            s = opt.state[p]
            t = s["step"]
            u = (s["exp_avg"] / (1 - 0.9 ** t)) / (
                np.sqrt(s["exp_avg_sq"] / (1 - 0.999 ** t)) + 1e-6) + 0.01 * b
            trusts.append(norm(b) / norm(u) if norm(b) > 0 else 1.0)
        want["trust_ratio"].append(trusts)
    assert mon.steps == [1, 2, 3, 4]
    assert mon.names == [n for n, _ in model.named_parameters()]
    for key, values in want.items():
        np.testing.assert_allclose(mon.series(key), np.array(values),
                                   rtol=1e-9, atol=0, equal_nan=True,
                                   err_msg=key)
    # the zero-initialised biases: no ratio at step 1, one afterwards
    ratio = mon.series("ratio")
    assert np.isnan(ratio[0, 1]) and np.isfinite(ratio[1:, 1]).all()
    assert (mon.series("update_norm") > 0).all()
    mon.stop()


def test_float32_parameters_are_measured_in_float64():
    mg.manual_seed(1)
    model = nn.MLP([3, 4, 2], dtype=np.float32)
    opt = optimizer_class("adam")(model.parameters(), lr=1e-4)
    mon = Monitor(model, opt)
    before = [p.data.astype(np.float64) for p in model.parameters()]
    step(model, opt, np.ones((2, 3), np.float32), np.array([0, 1]))
    mon.record()
    after = [p.data.astype(np.float64) for p in model.parameters()]
    np.testing.assert_allclose(
        mon.series("update_norm")[0],
        [np.linalg.norm(a - b) for a, b in zip(after, before)], rtol=1e-12)


def dead_fraction(h):
    return float(np.mean(np.all(h <= 0, axis=0)))


def test_dead_units_are_the_units_zero_on_the_whole_batch():
    mg.manual_seed(0)
    model = nn.MLP([2, 6, 5, 2], dtype=np.float64)
    model[0].bias.data[:3] = -100.0  # three units of the first layer off
    opt = optimizer_class("sgd")(model.parameters(), lr=1e-3)
    mon = Monitor(model, opt)
    assert mon.relu_names == ["1", "3"]
    x = np.random.default_rng(0).standard_normal((16, 2))
    w0, b0, w2, b2 = (p.data.copy() for p in list(model.parameters())[:4])
    h1 = np.maximum(x @ w0.T + b0, 0)
    h2 = np.maximum(h1 @ w2.T + b2, 0)
    step(model, opt, x, np.zeros(16, dtype=int))
    mon.record()
    assert mon.dead_units()[0, 0] == dead_fraction(h1) >= 0.5
    assert mon.dead_units()[0, 1] == dead_fraction(h2)
    # an evaluation under no_grad does not overwrite the training batch's
    with mg.no_grad():
        model(mg.Tensor(np.full((4, 2), 1e3)))
    mon.record()
    assert mon.dead_units()[1, 0] == dead_fraction(h1)
    assert "dead ReLU units: 1 " in mon.summary()


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_recording_changes_nothing_in_the_run(name):
    finals = []
    for mode in ("none", "recording", "stopped"):
        model, opt, data = small_run(name, "cpu", seed=3)
        mon = None if mode == "none" else Monitor(model, opt)
        if mode == "stopped":
            mon.stop()
        for x, y in data:
            step(model, opt, x, y)
            if mon is not None:
                mon.record()
        finals.append([p.data.copy() for p in model.parameters()]
                      + [opt.state_dict()["state"][0]["step"]])
        if mode == "stopped":
            assert mon.steps == []  # record() did nothing
    for other in finals[1:]:
        for a, b in zip(finals[0], other):
            np.testing.assert_array_equal(a, b)


def test_stop_leaves_the_modules_as_they_were():
    mg.manual_seed(0)
    model = nn.MLP([2, 4, 2], dtype=np.float64)
    relu = model[1]
    opt = optimizer_class("adam")(model.parameters())
    keys = list(model.state_dict())
    with Monitor(model, opt) as mon:
        assert "forward" in vars(relu)  # the probe is in place
        assert list(model.state_dict()) == keys
    assert "forward" not in vars(relu) and not mon.recording
    copy.deepcopy(model)
    pickle.dumps(model)
    mon.start()
    assert "forward" in vars(relu)
    mon.stop()


def test_summary_shows_the_median_of_the_last_records():
    model, opt, data = small_run("lamb", "cpu")
    mon = Monitor(model, opt)
    for x, y in data:
        step(model, opt, x, y)
        mon.record()
    text = mon.summary(last=3)
    assert text.splitlines()[0] == "steps 2..4 (median of 3)"
    row = next(line for line in text.splitlines()
               if line.startswith("2.weight"))
    ratio = np.median(mon.series("ratio")[1:, 2])
    trust = np.median(mon.series("trust_ratio")[1:, 2])
    assert row.split()[-2:] == [f"{ratio:.3g}", f"{trust:.3g}"]
    assert "trust ratio" in text.splitlines()[1]


def test_bad_input_is_named():
    model, opt, data = small_run("sgd", "cpu")
    with pytest.raises(TypeError, match="Module"):
        Monitor(list(model.parameters()), opt)
    with pytest.raises(TypeError, match="optimizer"):
        Monitor(model, "adam")
    mon = Monitor(model, opt)
    assert mon.summary() == "no steps recorded yet"
    with pytest.raises(KeyError, match="ratio"):
        mon.series("ratios")
    step(model, opt, *data[0])
    mon.record()
    with pytest.raises(ValueError, match="last"):
        mon.summary(0)
    mon.stop()


def test_plot_draws_every_panel(tmp_path):
    pytest.importorskip("matplotlib")
    model, opt, data = small_run("lamb", "cpu")
    mon = Monitor(model, opt)
    for x, y in data:
        step(model, opt, x, y)
        mon.record()
    fig = mon.plot(tmp_path / "m.png")
    assert (tmp_path / "m.png").stat().st_size > 0
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_visible()]
    assert labels == ["|update| / |w|", "|grad|",
                      "LAMB trust ratio ||w|| / ||u||", "dead units (fraction)"]


def test_train_monitor_prints_a_table_every_k_epochs(tmp_path, capsys):
    from minigrad.cli import main

    path = tmp_path / "mon.png"
    assert main(["train", "--epochs", "4", "--monitor", "2", "--samples",
                 "120", "--no-checkpoint", "--monitor-plot", str(path),
                 "--optimizer", "lamb"]) == 0
    out = capsys.readouterr().out
    # 90 training points, batch 32: 3 steps an epoch, a table every 6 steps
    assert "-- epoch 2, steps 1..6 (median of 6)" in out
    assert "-- epoch 4, steps 7..12 (median of 6)" in out
    assert out.count("trust ratio") == 2 and "dead ReLU units" in out
    if path.exists():  # matplotlib present
        assert "monitor plot saved" in out


def test_train_monitor_refuses_distributed(capsys):
    from minigrad.cli import main

    assert main(["train", "--epochs", "1", "--monitor", "1",
                 "--no-checkpoint", "--distributed"]) == 1
    assert "--monitor" in capsys.readouterr().err


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_lamb_moves_every_tensor_by_lr_times_its_norm(backend):
    """||lr r u|| = lr ||p|| with r = ||p|| / ||u||: the ratio is the lr for
    every tensor, so a zero-initialised bias grows at most by 1 + lr a step
    after its one plain first step (docs/watching.md)."""
    model, opt, data = small_run("lamb", backend)
    mon = Monitor(model, opt)
    for _ in range(5):
        for x, y in data:
            step(model, opt, x, y)
            mon.record()
    ratio, norms = mon.series("ratio"), mon.series("weight_norm")
    np.testing.assert_allclose(ratio[1:], LRS["lamb"], rtol=1e-9)
    biases = [j for j, p in enumerate(mon.params) if p.data.ndim == 1]
    assert (norms[0, biases] == 0).all()
    growth = norms[2:, biases] / norms[1:-1, biases]
    assert (growth <= 1 + LRS["lamb"] + 1e-12).all()
    trust = mon.series("trust_ratio")
    assert (trust[0, biases] == 1.0).all()  # the plain first step


def test_the_overhead_benchmark_runs():
    """benchmarks/bench_monitor.py (whose numbers docs/watching.md shows)
    keeps working: a tiny run times all four modes."""
    import pathlib
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    from benchmarks.bench_monitor import format_results, measure

    found = measure(reps=3, optimizers=("lamb",),
                    cases={"tiny": ((2, 4, 2), 4)})
    times = found["tiny", "lamb"]
    assert set(times) == {"plain", "plain again", "off", "plain for on", "on"}
    assert all(t > 0 for t in times.values())
    assert "| tiny | lamb |" in format_results(found)
