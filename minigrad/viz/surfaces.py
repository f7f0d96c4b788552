"""Two-dimensional loss surfaces for watching optimizers walk downhill.

Each surface is a function f(x, y) with its gradient written out by hand (so
the pictures do not depend on the autograd engine, and tests can check the
engine against them). ``run_path`` drives one of minigrad's optimizers on a
surface: the point (x, y) is a single ``Parameter`` of shape (2,), and each
step sets its ``.grad`` to the analytic gradient and calls ``opt.step()`` --
exactly what training does, with a landscape small enough to draw.

The three landscapes each show one difficulty:

* ``ravine``      f = x^2/50 + y^2. Curvature 0.04 along x, 2 along y
                  (condition number 50): a step large enough to make progress
                  along the floor overshoots across the walls -> zig-zag.
* ``rosenbrock``  f = (1 - x)^2 + 100 (y - x^2)^2. A curved, flat-bottomed
                  banana valley; the minimum (1, 1) is easy to reach in y and
                  slow to reach along the valley.
* ``saddle``      f = x^2/2 + y^4/4 - y^2/2. A saddle point at the origin and
                  two minima at (0, +-1). Starting almost on the ridge
                  (y = 0.01), gradient descent needs many steps to notice the
                  tiny slope in y; methods that divide by the gradient's size
                  escape quickly.
"""
from dataclasses import dataclass, field

import numpy as np

from .registry import OPTIMIZERS, optimizer_class


@dataclass(frozen=True)
class Surface:
    """A 2-D test function with its gradient, a start point and a plot box."""

    name: str
    title: str
    formula: str           # mathtext, for plot titles
    start: tuple
    minimum: tuple         # one global minimiser (for the plot marker)
    f_min: float
    xlim: tuple
    ylim: tuple
    steps: int             # default number of steps for ``minigrad paths``
    lrs: dict = field(default_factory=dict)  # optimizer name -> lr
    log_levels: bool = False  # contour levels spaced logarithmically

    def f(self, x, y):
        """Loss at (x, y); x and y may be arrays of the same shape."""
        raise NotImplementedError

    def grad(self, point):
        """Gradient (df/dx, df/dy) at ``point`` (an array of shape (2,))."""
        raise NotImplementedError

    def loss(self, point):
        return float(self.f(point[0], point[1]))


class Ravine(Surface):
    """``f = x^2/50 + y^2``: curvature 50 times larger across the valley."""

    def f(self, x, y):
        return x ** 2 / 50.0 + y ** 2

    def grad(self, point):
        x, y = point
        return np.array([x / 25.0, 2.0 * y])


class Rosenbrock(Surface):
    """``f = (1-x)^2 + 100 (y-x^2)^2``: a curved, flat-floored valley."""

    def f(self, x, y):
        return (1.0 - x) ** 2 + 100.0 * (y - x ** 2) ** 2

    def grad(self, point):
        x, y = point
        dfdx = -2.0 * (1.0 - x) - 400.0 * x * (y - x ** 2)
        dfdy = 200.0 * (y - x ** 2)
        return np.array([dfdx, dfdy])


class Saddle(Surface):
    """``f = x^2/2 + y^4/4 - y^2/2``: a saddle at 0, minima at (0, +-1)."""

    def f(self, x, y):
        return 0.5 * x ** 2 + 0.25 * y ** 4 - 0.5 * y ** 2

    def grad(self, point):
        x, y = point
        return np.array([x, y ** 3 - y])


# Learning rates chosen so that every optimizer gets a fair, stable run on
# each landscape and the characteristic behaviour is visible (see
# docs/optimizers.md for the pictures). Momentum (the EMA form) gets 10x
# SGD's rate where it can: its steps are (1 - beta) = 0.1 times as long for
# the same lr, and its gain is the larger stable lr. Override with --lr.
SURFACES = {
    "ravine": Ravine(
        name="ravine", title="Ill-conditioned ravine",
        formula=r"$f = x^2/50 + y^2$",
        start=(-7.0, 2.0), minimum=(0.0, 0.0), f_min=0.0,
        xlim=(-8.0, 8.0), ylim=(-3.0, 3.0), steps=100,
        lrs={"sgd": 0.9, "momentum": 10.0, "adagrad": 1.0, "rmsprop": 0.1,
             "adam": 0.2, "adamw": 0.2, "lamb": 0.05}),
    "rosenbrock": Rosenbrock(
        name="rosenbrock", title="Rosenbrock valley",
        formula=r"$f = (1-x)^2 + 100\,(y-x^2)^2$",
        start=(-1.5, 1.5), minimum=(1.0, 1.0), f_min=0.0,
        xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), steps=1000, log_levels=True,
        lrs={"sgd": 2e-3, "momentum": 1e-2, "adagrad": 0.5, "rmsprop": 0.01,
             "adam": 0.1, "adamw": 0.1, "lamb": 0.03}),
    "saddle": Saddle(
        name="saddle", title="Saddle point",
        formula=r"$f = x^2/2 + y^4/4 - y^2/2$",
        start=(1.5, 0.01), minimum=(0.0, 1.0), f_min=-0.25,
        xlim=(-2.0, 2.0), ylim=(-1.5, 1.5), steps=60,
        lrs={"sgd": 0.1, "momentum": 1.0, "adagrad": 0.3, "rmsprop": 0.05,
             "adam": 0.1, "adamw": 0.1, "lamb": 0.1}),
}


def get_surface(name):
    """The landscape called ``name`` (a key of ``SURFACES``)."""
    if name not in SURFACES:
        raise ValueError(
            f"unknown surface {name!r}; choose from {', '.join(SURFACES)}")
    return SURFACES[name]


def run_path(surface, optimizer, lr=None, steps=None, backend="numpy",
             noise=0.0, seed=0, **hyper):
    """Walk ``steps`` optimizer steps from ``surface.start``.

    Returns an array of shape (steps + 1, 2): the start and every point
    visited. ``lr`` defaults to ``surface.lrs[optimizer]``; extra keyword
    arguments go to the optimizer's constructor. Works in float64, so the
    paths are not blurred by rounding.

    ``noise`` = sigma > 0 adds independent N(0, sigma^2) noise to each
    gradient coordinate (drawn from ``seed``), the way a mini-batch gradient
    scatters around the full one: the "stochastic" in SGD. Every optimizer
    run with the same seed sees the same noise sequence.
    """
    from minigrad.nn import Parameter

    if isinstance(surface, str):
        surface = get_surface(surface)
    lr = surface.lrs[optimizer] if lr is None else lr
    steps = surface.steps if steps is None else steps
    if not (noise >= 0 and np.isfinite(noise)):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    point = Parameter(np.array(surface.start, dtype=np.float64))
    opt = optimizer_class(optimizer)([point], lr=lr, backend=backend, **hyper)
    path = np.empty((steps + 1, 2))
    path[0] = point.data
    for k in range(1, steps + 1):
        opt.zero_grad()
        point.grad = surface.grad(point.data)
        if noise:
            point.grad = point.grad + noise * rng.standard_normal(2)
        opt.step()
        path[k] = point.data
    return path


def run_paths(surface, optimizers=tuple(OPTIMIZERS), lrs=None, steps=None,
              backend="numpy", noise=0.0, seed=0):
    """``run_path`` for several optimizers: {name: path array}."""
    lrs = lrs or {}
    return {name: run_path(surface, name, lr=lrs.get(name), steps=steps,
                           backend=backend, noise=noise, seed=seed)
            for name in optimizers}


def path_losses(surface, path):
    """f(x_k, y_k) along a path, minus the surface's minimum (so >= 0)."""
    return surface.f(path[:, 0], path[:, 1]) - surface.f_min
