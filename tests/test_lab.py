"""The optimizer lab and the claims the optimizer pages make: Momentum is
torch's SGD at a rescaled lr, the stable-lr limits on the ravine, LAMB's
frozen zero-initialised biases, Adam + L2 against AdamW, and the
instruments (trace, sweep, noise, schedules) from Python and the command
line, on tiny settings."""
import numpy as np
import pytest

from minigrad.nn import Parameter
from minigrad.optim import LAMB, AdamW, Momentum
from minigrad.viz import experiments as ex
from minigrad.viz.studies import decay_demo, momentum_limit, norm_run, stable_lr
from minigrad.viz.surfaces import SURFACES, path_losses, run_path
from minigrad.viz.sweep import Cell, best_lrs, format_sweep, sweep
from minigrad.viz.trace import trace


# ------------------------------------------------------ Momentum vs torch
@pytest.mark.parametrize("beta", [0.9, 0.5])
def test_momentum_is_torch_sgd_with_rescaled_lr(rng, beta):
    torch = pytest.importorskip("torch")
    x0, eta = rng.normal(size=7), 0.1
    p = Parameter(x0.copy())
    ours = Momentum([p], lr=eta, beta=beta, backend="numpy")
    tp = torch.tensor(x0.copy(), requires_grad=True)
    theirs = torch.optim.SGD([tp], lr=eta * (1 - beta), momentum=beta)
    td = torch.tensor(x0.copy(), requires_grad=True)
    damped = torch.optim.SGD([td], lr=eta, momentum=beta, dampening=beta)
    worst, damped_gap = 0.0, []
    for _ in range(30):
        g = rng.normal(size=7)
        p.grad = g.copy()
        ours.step()
        tp.grad, td.grad = torch.tensor(g), torch.tensor(g)
        theirs.step()
        damped.step()
        worst = max(worst, np.abs(p.data - tp.detach().numpy()).max())
        damped_gap.append(np.abs(p.data - td.detach().numpy()).max())
    assert worst < 1e-13
    # dampening=beta is NOT the same rule, at step 1 or later
    assert damped_gap[0] > 1e-3 and damped_gap[-1] > 1e-3


def test_momentum_velocity_never_exceeds_the_largest_gradient():
    rows = trace("momentum", "ravine", steps=100, lr=10.0)
    seen = np.zeros(2)
    for row in rows:
        seen = np.maximum(seen, np.abs(row.grad))
        assert np.all(np.abs(row.state["velocity"]) <= seen + 1e-12)


# ----------------------------------------------------- stable lr limits
def test_stable_lr_limits_on_the_ravine_match_theory():
    h_max = 2.0                       # f = x^2/50 + y^2
    assert momentum_limit(h_max) == pytest.approx(1.0)
    assert momentum_limit(h_max, 0.9) == pytest.approx(19.0)
    assert stable_lr("sgd", iterations=25) == pytest.approx(1.0, rel=0.01)
    assert stable_lr("momentum", iterations=25) == pytest.approx(19.0, rel=0.01)


def test_momentum_converges_where_sgd_diverges():
    rav = SURFACES["ravine"]
    with np.errstate(all="ignore"):
        sgd = path_losses(rav, run_path(rav, "sgd", lr=1.05, steps=100))
    mom = path_losses(rav, run_path(rav, "momentum", lr=10.0, steps=100))
    assert not sgd[-1] < sgd[0]
    assert mom[-1] < 1e-3 * mom[0]
    # at SGD's lr on the saddle the EMA form lags (effective lr 10x smaller)
    sad = SURFACES["saddle"]
    assert abs(run_path(sad, "momentum", lr=0.1)[-1][1]) < 0.5
    assert abs(run_path(sad, "sgd", lr=0.1)[-1][1]) > 0.9


# ------------------------------------------------------ LAMB bias freeze
def test_lamb_zero_initialised_biases_almost_freeze():
    """Step 1: rho = 1 (zero norm), an AdamW-sized step; then each step is
    lr * ||b||, so over 100 steps the bias norm grows far less than AdamW's."""
    lamb = norm_run("lamb", lr=0.01, epochs=7)
    adamw = norm_run("adamw", lr=0.01, epochs=7)
    bias = lamb.names.index("0.bias")
    assert lamb.norms[0, bias] == 0 == adamw.norms[0, bias]
    assert lamb.norms[1, bias] == pytest.approx(adamw.norms[1, bias], rel=1e-3)
    assert lamb.norms[100, bias] < 3 * lamb.norms[1, bias]
    assert adamw.norms[100, bias] > 10 * adamw.norms[1, bias]


def test_lamb_biases_without_the_trust_ratio_move_freely():
    """A bias group with adapt=False (rho = 1) grows as under AdamW."""
    lamb = norm_run("lamb", lr=0.01, epochs=7, bias_options={"adapt": False})
    adamw = norm_run("adamw", lr=0.01, epochs=7)
    bias = lamb.names.index("0.bias")
    assert lamb.norms[100, bias] > 10 * lamb.norms[1, bias]
    assert lamb.norms[100, bias] == pytest.approx(adamw.norms[100, bias],
                                                  rel=0.5)


def test_lamb_step_is_lr_times_the_norm():
    for row in trace("lamb", "rosenbrock", steps=5, lr=0.03):
        assert np.linalg.norm(row.step) == pytest.approx(
            0.03 * row.derived["norm_p"], rel=1e-12)
        if "trust_ratio" in row.state:   # the optimizer's own record agrees
            assert float(row.state["trust_ratio"]) == pytest.approx(
                row.derived["trust_ratio"], rel=1e-12)


def test_lamb_at_large_constant_lr_grows_norms_geometrically():
    run = norm_run("lamb", lr=0.05, epochs=7)
    hidden = run.norms[:, run.names.index("2.weight")]
    assert hidden[100] > 3 * hidden[0]
    assert np.all(np.abs(np.diff(hidden[:101])) <= 0.05 * hidden[:100] + 1e-12)


def test_momentum_ends_closest_on_rosenbrock():
    """optimizers.md: on Rosenbrock Momentum (lr 0.01) ends closer to (1, 1)
    than any other rule at its landscape lr."""
    from minigrad.viz.surfaces import run_paths

    ros = SURFACES["rosenbrock"]
    gaps = {n: path_losses(ros, p)[-1] for n, p in run_paths(ros).items()}
    assert min(gaps, key=gaps.get) == "momentum"


# ---------------------------------------------------------------- trace
def test_trace_first_adam_step_is_lr_sign_g_and_columns_agree():
    rows = trace("adam", "ravine", steps=3, lr=0.2)
    np.testing.assert_allclose(rows[0].step, -0.2 * np.sign(rows[0].grad))
    for row in rows:
        d = row.derived
        np.testing.assert_allclose(row.step, -row.lr * d["m_hat"] / d["denom"],
                                   rtol=1e-12)
        np.testing.assert_allclose(row.effective_lr, -row.step / row.grad)


def test_trace_first_steps_of_momentum_and_rmsprop():
    g = SURFACES["ravine"].grad(np.array(SURFACES["ravine"].start))
    mom = trace("momentum", steps=1, lr=1.0)[0]
    np.testing.assert_allclose(mom.step, -1.0 * 0.1 * g)
    rms = trace("rmsprop", steps=1, lr=0.1)[0]
    np.testing.assert_allclose(np.abs(rms.step), 1.0, rtol=1e-6)   # 10 lr


def test_trace_net_shows_lamb_steps_of_lr_times_the_norm():
    from minigrad.viz.trace import format_trace_net, trace_net

    rows = trace_net("lamb", sizes=(2, 4, 3), steps=3, lr=0.01)
    assert len(rows) == 3 * 4
    for r in rows:
        if r.norm_before > 0:          # every tensor moves lr of its norm
            assert r.relative_step == pytest.approx(0.01, rel=1e-4)
    bias = [r for r in rows if r.name == "0.bias"]
    assert bias[0].norm_before == 0 and bias[0].step_norm > 0.005
    assert bias[1].step_norm < bias[0].step_norm / 50     # almost frozen
    assert "trust ratio" in format_trace_net(rows, "lamb")
    adam = trace_net("adam", sizes=(2, 4, 3), steps=1)
    assert all(r.trust_ratio is None for r in adam)


def test_trace_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown optimizer"):
        trace("adamax")
    with pytest.raises(ValueError, match="unknown surface"):
        trace("adam", "bowl")


# ---------------------------------------------------------------- noise
def test_noise_is_seeded_and_off_by_default():
    rav = SURFACES["ravine"]
    clean = run_path(rav, "sgd", steps=20)
    np.testing.assert_array_equal(run_path(rav, "sgd", steps=20, noise=0.0),
                                  clean)
    a = run_path(rav, "sgd", steps=20, noise=0.5, seed=3)
    np.testing.assert_array_equal(a, run_path(rav, "sgd", steps=20,
                                              noise=0.5, seed=3))
    assert not np.allclose(a, clean)
    with pytest.raises(ValueError, match="noise"):
        run_path(rav, "sgd", steps=2, noise=-1.0)


def test_noise_floor_of_sgd_grows_with_lr():
    rav = SURFACES["ravine"]
    floors = {lr: np.median([np.median(path_losses(rav, run_path(
        rav, "sgd", lr=lr, steps=600, noise=1.0, seed=s))[-150:])
        for s in range(3)]) for lr in (0.09, 0.9)}
    assert floors[0.9] > 5 * floors[0.09]


# ------------------------------------------------------------ schedules
class FakeOptimizer:
    def __init__(self, lr):
        self.param_groups = [{"lr": lr, "params": []}]


def test_make_scheduler_shapes():
    assert ex.make_scheduler(FakeOptimizer(0.1), "constant", 0, 90) is None
    opt = FakeOptimizer(0.1)
    sched = ex.make_scheduler(opt, "cosine", warmup=10, total_steps=90)
    seen = []
    for _ in range(90):
        seen.append(opt.param_groups[0]["lr"])
        sched.step()
    assert seen[0] == pytest.approx(0.01) and seen[9] == pytest.approx(0.1)
    assert seen[-1] < 1e-3 and all(np.diff(seen[10:]) <= 0)
    opt = FakeOptimizer(1.0)
    step = ex.make_scheduler(opt, "step", total_steps=9)
    for _ in range(9):
        step.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="schedule"):
        ex.make_scheduler(opt, "linear")
    with pytest.raises(ValueError, match="warmup"):
        ex.make_scheduler(opt, "cosine", warmup=90, total_steps=90)


def test_training_with_a_schedule_uses_its_rates():
    run = norm_run("adam", lr=0.01, schedule="cosine", warmup=5, epochs=1)
    assert len(run.lrs) == len(run.norms) - 1 == 15
    assert run.lrs[0] == pytest.approx(0.002) and run.lrs[4] == 0.01
    assert run.lrs[-1] < 0.002


# ---------------------------------------------------------------- sweep
def test_sweep_cells_and_best_lr():
    cells = sweep("moons", optimizers=("sgd", "adam"), lrs=(0.1, 1e3),
                  seeds=(0, 1), epochs=2, samples=80, backend="numpy")
    assert [(c.optimizer, c.lr) for c in cells] == [
        ("sgd", 0.1), ("sgd", 1e3), ("adam", 0.1), ("adam", 1e3)]
    assert all(len(c.losses) == 2 for c in cells)
    assert best_lrs(cells)["adam"] == 0.1
    text = format_sweep(cells)
    assert "0.1 *" in text and "Adam" in text


def test_best_lr_is_the_lowest_median():
    cells = [Cell("sgd", 0.1, [1.0, 9.0, 1.2], [0.5] * 3),
             Cell("sgd", 1.0, [1.1, 1.1, 1.1], [0.5] * 3),
             Cell("sgd", 3.0, [float("inf")] * 3, [0.3] * 3)]
    assert best_lrs(cells) == {"sgd": 1.0}


# ------------------------------------------------------ decay demo
def test_adamw_decays_every_weight_alike_adam_l2_does_not():
    runs = decay_demo(scales=(0.01, 1.0, 10.0), steps=300, copies=64)
    w, a = runs["adamw"].mean_p[-1], runs["adam"].mean_p[-1]
    np.testing.assert_allclose(w, (1 - 0.01 * 0.1) ** 300, atol=0.05)
    assert a[0] < 0.1 < w[0]             # small gradients: pulled to zero
    assert a[2] > w[2] + 0.1             # large gradients: hardly decayed


# ------------------------------------------------------ command line
def test_cli_trace_sweep_noise_and_schedules(capsys, tmp_path):
    from minigrad.cli import main

    for command in ("trace", "sweep", "decay"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0
        page = capsys.readouterr().out
        assert "examples:" in page and len(page) > 1200

    assert main(["trace", "--optimizer", "lamb", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert "trust_ratio" in out and "step 2" in out
    assert main(["trace", "--optimizer", "lamb", "--net", "2,4,3",
                 "--steps", "2"]) == 0
    assert "0.bias" in capsys.readouterr().out
    assert main(["sweep", "--optimizers", "sgd", "--lrs", "0.1,1",
                 "--seeds", "1", "--epochs", "1", "--samples", "60",
                 "--backend", "numpy", "--no-plot"]) == 0
    assert "SGD" in capsys.readouterr().out
    assert main(["paths", "--surface", "ravine", "--optimizers", "sgd",
                 "--noise", "0.5", "--steps", "20", "--no-plot"]) == 0
    assert "floor f-fmin" in capsys.readouterr().out
    assert main(["compare", "--optimizers", "lamb", "--epochs", "1",
                 "--samples", "60", "--schedule", "cosine", "--warmup", "1",
                 "--backend", "numpy", "--no-plot"]) == 0
    assert "schedule cosine" in capsys.readouterr().out
    assert main(["train", "--epochs", "1", "--samples", "60", "--schedule",
                 "step", "--backend", "numpy", "--no-checkpoint"]) == 0
    assert main(["decay", "--steps", "50", "--copies", "8", "--plot",
                 str(tmp_path / "d.png")]) == 0
    out = capsys.readouterr().out
    assert "Adam + L2" in out and "AdamW" in out
    with pytest.raises(SystemExit):
        main(["compare", "--schedule", "linear"])
    with pytest.raises(SystemExit):
        main(["paths", "--noise", "-1"])


def test_lab_figures_draw(tmp_path):
    pytest.importorskip("matplotlib")
    from minigrad.viz import figures

    cells = [Cell("sgd", 0.1, [1.0, 1.2], [0.5, 0.6]),
             Cell("sgd", 1.0, [float("inf")] * 2, [0.3, 0.3])]
    assert figures.plot_sweep(cells, tmp_path / "s.png") is not None
    assert figures.plot_decay(decay_demo(steps=5, copies=2),
                              tmp_path / "d.png", lr=0.01, weight_decay=0.1)
    run = norm_run("lamb", lr=0.01, epochs=1)
    assert figures.plot_norms([run], tmp_path / "n.png")
    assert figures.plot_schedules({"a": run.lrs}, {"a": (
        run.result.curve_steps, run.result.curve_loss)}, tmp_path / "c.png")
    assert all((tmp_path / f).stat().st_size > 1000
               for f in ("s.png", "d.png", "n.png", "c.png"))
