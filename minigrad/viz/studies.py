"""Small experiments behind the claims in ``docs/optimizers.md`` and
``docs/lab.md``: each returns numbers (and ``figures.py`` draws them), so
the pages quote what this code prints and ``tests/test_lab.py`` can refute
every sentence.

* ``stable_lr`` -- the largest learning rate at which a rule still
  converges on a landscape (bisection), next to the theory for quadratics;
* ``decay_demo`` -- Adam + L2 against AdamW: how far each weight decays,
  by the scale of its gradient;
* ``norm_run`` -- a training run that records every tensor's norm after
  every step (LAMB's geometric growth, its frozen biases).
"""
from dataclasses import dataclass, field

import numpy as np

from .surfaces import get_surface, path_losses, run_path


def stable_lr(optimizer, surface="ravine", lo=1e-2, hi=100.0, steps=400,
              iterations=40, **hyper):
    """The largest lr in [lo, hi] (to bisection accuracy) for which the
    loss gap after ``steps`` steps is finite and below the starting one.

    Assumes stability is one interval [lo, limit): true for SGD and the EMA
    Momentum on a quadratic, whose limits are ``2/h_max`` and
    ``2(1+beta)/((1-beta) h_max)`` (``momentum_limit``).
    """
    surf = get_surface(surface) if isinstance(surface, str) else surface

    def converges(lr):
        with np.errstate(all="ignore"):
            gaps = path_losses(surf, run_path(surf, optimizer, lr=lr,
                                              steps=steps, **hyper))
        return bool(np.isfinite(gaps[-1]) and gaps[-1] < gaps[0])

    if not converges(lo):
        raise ValueError(f"{optimizer} diverges even at lr={lo}")
    for _ in range(iterations):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if converges(mid) else (lo, mid)
    return lo


def momentum_limit(h_max, beta=0.0):
    """Theory: gradient descent with EMA momentum ``v = beta v + (1-beta) g``
    on a quadratic of largest curvature ``h_max`` is stable for
    ``lr < 2 (1 + beta) / ((1 - beta) h_max)``; ``beta=0`` is plain SGD's
    ``2 / h_max``. (It is the heavy ball with step ``lr (1 - beta)``.)"""
    return 2.0 * (1.0 + beta) / ((1.0 - beta) * h_max)


@dataclass
class DecayRun:
    """Mean parameter value per gradient scale, at every step."""
    optimizer: str
    scales: tuple
    steps: np.ndarray          # 0..n
    mean_p: np.ndarray         # (n + 1, len(scales)), starts at 1


def decay_demo(scales=(0.01, 0.1, 1.0, 10.0), lr=0.01, weight_decay=0.1,
               steps=1000, copies=256, seed=0):
    """Adam(weight_decay) [L2] and AdamW(weight_decay) on weights that start
    at 1 and whose loss gradient is pure noise of a given scale
    (``scale * N(0, 1)``: the loss has no preferred value, so on average only
    the decay moves them). ``copies`` weights per scale; the mean over them
    cancels the noise. AdamW shrinks every weight by ``(1 - lr wd)`` per step;
    under Adam + L2 the decay term is divided by the gradient's scale, so
    weights with small gradients collapse and those with large ones hardly
    decay. Returns ``{"adam": DecayRun, "adamw": DecayRun}``.
    """
    from minigrad.nn import Parameter

    from .registry import optimizer_class

    runs = {}
    for name in ("adam", "adamw"):
        rng = np.random.default_rng(seed)
        scale = np.repeat(np.asarray(scales, dtype=np.float64), copies)
        p = Parameter(np.ones(scale.size))
        opt = optimizer_class(name)([p], lr=lr, weight_decay=weight_decay,
                                    backend="numpy")
        means = [p.data.reshape(len(scales), copies).mean(axis=1)]
        for _ in range(steps):
            p.grad = scale * rng.standard_normal(scale.size)
            opt.step()
            means.append(p.data.reshape(len(scales), copies).mean(axis=1))
        runs[name] = DecayRun(name, tuple(scales), np.arange(steps + 1),
                              np.array(means))
    return runs


@dataclass
class NormRun:
    """A training run with each parameter tensor's norm after every step."""
    label: str
    names: list
    norms: np.ndarray                 # (steps + 1, n_tensors)
    result: object = None             # experiments.RunResult
    lrs: list = field(default_factory=list)   # lr used at each step


def norm_run(optimizer="lamb", lr=0.01, schedule="constant", warmup=0,
             dataset="spirals", epochs=40, batch_size=32, hidden=(32, 32),
             seed=0, backend="numpy", label=None, bias_options=None):
    """Train as ``minigrad compare`` does (same data, weights, batches for a
    given seed) and record ``||w||`` of every tensor after every step.

    bias_options: None, or a dict of options for a second param group that
    holds the biases, e.g. ``{"adapt": False}`` (LAMB without the trust
    ratio for biases, as apex and timm do for groups without decay)."""
    from . import experiments as ex
    from .registry import optimizer_class

    task = ex.make_task(dataset, 600, seed=seed)
    model = ex.build_model([task.X_train.shape[1], *hidden, task.n_classes],
                           seed)
    named = list(model.named_parameters())
    params = [p for _, p in named]
    groups = params
    if bias_options is not None:
        groups = [{"params": [p for n, p in named if not n.endswith("bias")]},
                  {"params": [p for n, p in named if n.endswith("bias")],
                   **bias_options}]
    opt = optimizer_class(optimizer)(groups, lr=lr, backend=backend)
    total = epochs * ex.steps_per_epoch(len(task.X_train), batch_size)
    scheduler = ex.make_scheduler(opt, schedule, warmup, total)
    norms = [[float(np.linalg.norm(p.data)) for p in params]]
    used = []

    def record(step, model_, opt_):
        norms.append([float(np.linalg.norm(p.data)) for p in params])

    def lr_now():
        return float(opt.param_groups[0]["lr"])

    used.append(lr_now())
    result = ex.train(model, opt, task, epochs, batch_size, seed=seed,
                      name=optimizer, lr=lr, scheduler=scheduler,
                      on_step=lambda *a: (record(*a), used.append(lr_now())))
    names = [n for n, _ in model.named_parameters()]
    return NormRun(label or f"{optimizer} lr {lr:g} {schedule}"
                   + (f" warmup {warmup}" if warmup else ""), names,
                   np.array(norms), result, used[:-1])
