"""The 2-D surfaces (analytic gradients), optimizer paths, the fair-race
machinery behind `minigrad compare`, and the plotting helpers."""
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad.viz import experiments, plots
from minigrad.viz.registry import OPTIMIZERS, optimizer_class
from minigrad.viz.surfaces import SURFACES, path_losses, run_path, run_paths


# ---------------------------------------------------------------- surfaces
@pytest.mark.parametrize("name", sorted(SURFACES))
def test_analytic_gradient_matches_autograd_and_differences(name, rng):
    surface = SURFACES[name]
    for _ in range(5):
        point = rng.uniform([surface.xlim[0], surface.ylim[0]],
                            [surface.xlim[1], surface.ylim[1]])
        xy = mg.Tensor(point, requires_grad=True, dtype=np.float64)
        surface.f(xy[0], xy[1]).backward()       # the engine's opinion
        np.testing.assert_allclose(surface.grad(point), xy.grad, rtol=1e-10,
                                   atol=1e-10)
        eps = 1e-6
        numeric = [(surface.f(*(point + eps * e)) - surface.f(
            *(point - eps * e))) / (2 * eps) for e in np.eye(2)]
        np.testing.assert_allclose(surface.grad(point), numeric, rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_minimum_is_stationary_and_lowest(name, rng):
    s = SURFACES[name]
    assert np.allclose(s.grad(np.array(s.minimum)), 0)
    assert s.loss(np.array(s.minimum)) == pytest.approx(s.f_min)
    gx, gy = rng.uniform(s.xlim[0], s.xlim[1], 2000), rng.uniform(
        s.ylim[0], s.ylim[1], 2000)
    assert np.all(s.f(gx, gy) >= s.f_min - 1e-12)


def test_every_optimizer_descends_every_surface():
    for sname, surface in SURFACES.items():
        paths = run_paths(surface)
        assert list(paths) == list(OPTIMIZERS)
        for name, path in paths.items():
            assert path.shape == (surface.steps + 1, 2)
            assert np.all(np.isfinite(path)), (sname, name)
            gaps = path_losses(surface, path)
            assert gaps[-1] < 0.2 * gaps[0], (sname, name, gaps[-1])


def test_path_is_the_optimizers_own_update():
    """One step of run_path equals one hand-computed step of the rule."""
    s = SURFACES["ravine"]
    p0 = np.array(s.start)
    path = run_path(s, "sgd", lr=0.1, steps=1)
    np.testing.assert_allclose(path[1], p0 - 0.1 * s.grad(p0))
    path = run_path(s, "adam", lr=0.1, steps=1)  # first Adam step: lr*sign(g)
    np.testing.assert_allclose(path[1], p0 - 0.1 * np.sign(s.grad(p0)),
                               rtol=1e-6)
    backends = [run_path(s, "lamb", steps=20, backend=b) for b in
                ("numpy", "cpu")]
    np.testing.assert_allclose(backends[0], backends[1], rtol=1e-12)


# -------------------------------------------------------------- the race
def test_race_is_fair_same_start_same_batches():
    task = experiments.make_task("moons", 120, seed=3)
    assert len(task.X_test) == 30 and task.n_classes == 2
    a = experiments.compare_optimizers(task, ["sgd", "adam"], hidden=(8,),
                                       epochs=2, backend="numpy", seed=5)
    b = experiments.compare_optimizers(task, ["adam"], hidden=(8,),
                                       epochs=2, backend="numpy", seed=5)
    assert a[1].curve_loss == b[0].curve_loss     # deterministic, order-free
    assert a[0].curve_loss != a[1].curve_loss
    # identical initial weights for every optimizer
    first = experiments.build_model([2, 8, 2], 5).state_dict()
    second = experiments.build_model([2, 8, 2], 5).state_dict()
    assert all(np.array_equal(first[k], second[k]) for k in first)
    # zero learning rate: the model stays at its initial loss
    still = experiments.compare_optimizers(
        task, ["sgd"], hidden=(8,), epochs=2, backend="numpy", seed=5,
        lrs={"sgd": 0.0})[0]
    assert still.curve_loss[0] == still.curve_loss[1]


def test_steps_to_target_and_table():
    task = experiments.make_task("blobs", 200, seed=0)
    (r,) = experiments.compare_optimizers(task, ["adam"], hidden=(16,),
                                          epochs=6, backend="numpy",
                                          target_loss=10.0)
    steps_per_epoch = int(np.ceil(len(task.X_train) / 32))
    assert r.steps_to_target == steps_per_epoch   # met at the first check
    assert r.curve_steps == [steps_per_epoch * k for k in range(1, 7)]
    table = experiments.format_table([r], target_loss=10.0)
    assert "Adam" in table and "steps to loss<=10" in table
    assert str(steps_per_epoch) in table.splitlines()[2]


def test_unknown_names_are_rejected_with_the_choices():
    with pytest.raises(ValueError, match="choose from spirals, moons"):
        experiments.make_task("mnist")
    with pytest.raises(ValueError, match="choose from sgd, momentum"):
        optimizer_class("nadam")


# ------------------------------------------------------------------ plots
def _is_png(path):
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plots_write_pngs(tmp_path):
    s = SURFACES["saddle"]
    paths = run_paths(s, ["sgd", "adam"], steps=10)
    fig = plots.plot_paths(s, paths, tmp_path / "p.png")
    assert _is_png(tmp_path / "p.png") and len(fig.axes) == 2
    plots.plot_optimizer_paths("sgd", [(s, paths["sgd"])],
                               tmp_path / "sub" / "one.png")
    assert _is_png(tmp_path / "sub" / "one.png")
    fig = plots.plot_loss_curves({"sgd": ([1, 2, 3], [1.0, 0.5, 0.25])},
                                 tmp_path / "c.svg", target=0.3,
                                 accuracy={"sgd": ([1, 2, 3], [.5, .6, .7])})
    assert (tmp_path / "c.svg").read_text().lstrip().startswith("<?xml")
    assert len(fig.axes) == 2
    X = np.random.default_rng(0).normal(size=(50, 2))
    y = (X[:, 0] > 0).astype(int)
    plots.plot_decision_boundary(lambda P: (P[:, 0] > 0).astype(int), X, y,
                                 tmp_path / "b.png", resolution=50)
    assert _is_png(tmp_path / "b.png")


def test_missing_matplotlib_names_the_install_command(monkeypatch):
    for mod in [m for m in sys.modules if m.startswith("matplotlib")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(plots.MissingDependencyError,
                       match="pip install matplotlib"):
        plots.plot_loss_curves({"sgd": ([1], [1.0])})
