"""Every number of a few optimizer steps, for a lecture: ``minigrad trace``.

``trace("adam", steps=5)`` runs the optimizer on a 2-D landscape (the point
``(x, y)`` is one ``Parameter``, as in ``minigrad paths``) and records, per
step, the gradient, the optimizer's own state after the step (read from
``opt.state``, not recomputed), the step actually taken and the new point.
For the Adam family it adds the bias-corrected moments and the denominator
that the rule divides by, and for LAMB the two norms and the trust ratio --
the quantities the formulas in ``docs/optimizers.md`` name. The step taken
is measured (new point minus old), so the derived columns can be checked
against it: ``tests/test_lab.py`` does.

``trace_net("lamb", sizes=(2, 8, 3))`` does the same on a tiny MLP, one
line per parameter tensor: the norms of the gradient, of the step and of
the tensor, their ratio, and the optimizer's per-tensor trust ratio where
it keeps one (LAMB) -- a LAMB step is ``lr * ||p||`` for every tensor, so a
zero-initialised bias, after its first step, hardly moves.

What to look for: Adam's first step is ``lr * sign(g)`` in every
coordinate (``step/g`` differs per coordinate, ``|step|`` does not); the
EMA Momentum's first step is ``lr * (1 - beta) * g``; RMSProp's first step
is ``lr / sqrt(1 - alpha)`` = 10 lr per coordinate; a LAMB step has norm
``lr * ||p||``.
"""
from dataclasses import dataclass, field

import numpy as np

from .registry import optimizer_class
from .surfaces import get_surface

# which state buffer holds the first / second moment, per optimizer
_MOMENTS = {"adam": ("exp_avg", "exp_avg_sq"), "adamw": ("exp_avg", "exp_avg_sq"),
            "lamb": ("exp_avg", "exp_avg_sq")}


@dataclass
class TraceStep:
    """One step's numbers; arrays have the parameter's shape (2,)."""
    t: int
    lr: float
    grad: np.ndarray
    state: dict                     # buffer name -> array, after the step
    derived: dict = field(default_factory=dict)   # m_hat, v_hat, denom, ...
    step: np.ndarray = None         # new point - old point
    point: np.ndarray = None        # the new point

    @property
    def effective_lr(self):
        """Per coordinate, the step as a multiple of -g (``-step / g``):
        the learning rate plain SGD would have needed for the same move."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return -self.step / self.grad


def _derive(name, opt, state, point_before, t):
    """Bias-corrected moments, denominator and (LAMB) trust ratio, from the
    state the optimizer stored; the names of docs/optimizers.md."""
    if name not in _MOMENTS:
        return {}
    from minigrad.optim.lamb import l2_norm, lamb_direction, trust_ratio

    group = opt.param_groups[0]
    beta1, beta2 = group["betas"]
    m, v = (state[k] for k in _MOMENTS[name])
    out = {"m_hat": m / (1 - beta1 ** t), "v_hat": v / (1 - beta2 ** t)}
    out["denom"] = np.sqrt(out["v_hat"]) + group["eps"]
    if name == "lamb":
        u = lamb_direction(point_before, m, v, beta1, beta2, group["eps"],
                           group["weight_decay"], t)
        out["u"] = u
        out["norm_p"] = l2_norm(point_before)
        out["norm_u"] = l2_norm(u)
        out["trust_ratio"] = trust_ratio(out["norm_p"], out["norm_u"])
    return out


def trace(optimizer, surface="ravine", steps=5, lr=None, start=None,
          noise=0.0, seed=0, **hyper):
    """Run ``steps`` steps of ``optimizer`` on ``surface``; a list of
    ``TraceStep``. ``start`` overrides the surface's start point; ``lr``
    defaults to the surface's entry for the optimizer; ``hyper`` goes to the
    constructor (e.g. ``weight_decay=0.1``). float64, NumPy reference.
    """
    from minigrad.nn import Parameter

    surf = get_surface(surface) if isinstance(surface, str) else surface
    name = optimizer.lower()
    cls = optimizer_class(name)          # unknown names: ValueError
    lr = surf.lrs[name] if lr is None else lr
    point = Parameter(np.array(surf.start if start is None else start,
                               dtype=np.float64))
    opt = cls([point], lr=lr, backend="numpy", **hyper)
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(1, steps + 1):
        before = point.data.copy()
        grad = surf.grad(before)
        if noise:
            grad = grad + noise * rng.standard_normal(2)
        point.grad = grad
        opt.step()
        state = {k: np.array(v, copy=True) for k, v in opt.state[point].items()
                 if k != "step"}
        rows.append(TraceStep(
            t=t, lr=float(opt.param_groups[0]["lr"]), grad=grad, state=state,
            derived=_derive(name, opt, state, before, t),
            step=point.data - before, point=point.data.copy()))
    return rows


def _cell(value):
    if isinstance(value, np.ndarray) and value.ndim:
        return "(" + ", ".join(f"{x: .4g}" for x in value) + ")"
    return f"{float(value):.4g}"


def format_trace(rows, optimizer=""):
    """The trace as text: one block per step, one line per quantity."""
    from .registry import display_name

    lines = []
    for row in rows:
        lines.append(f"step {row.t}  ({display_name(optimizer)}, "
                     f"lr {row.lr:g})")
        derived = [(k, v) for k, v in row.derived.items() if k not in row.state]
        items = [("g", row.grad), *row.state.items(), *derived,
                 ("step", row.step), ("-step/g", row.effective_lr),
                 ("|step|", np.abs(row.step)), ("new point", row.point)]
        width = max(len(k) for k, _ in items)
        lines += [f"  {k:<{width}}  {_cell(v)}" for k, v in items]
    return "\n".join(lines)


@dataclass
class TensorStep:
    """One parameter tensor at one step of ``trace_net``."""
    t: int
    name: str
    grad_norm: float
    step_norm: float
    norm: float                    # after the step
    norm_before: float             # before the step
    trust_ratio: float = None      # LAMB's, as the optimizer stored it

    @property
    def relative_step(self):
        """||step|| / ||p before the step|| (inf for a tensor that was 0)."""
        before = self.norm_before
        return self.step_norm / before if before > 0 else float("inf")


def trace_net(optimizer, sizes=(2, 8, 3), steps=3, lr=None,
              dataset="spirals", batch_size=32, seed=0):
    """Per-tensor numbers of ``steps`` optimizer steps on a tiny MLP trained
    on ``dataset`` (as ``minigrad compare`` sets it up; ``lr`` defaults to
    ``registry.TRAINING_LRS``). A list of ``TensorStep``, step by step."""
    from minigrad.data import DataLoader
    from minigrad.nn import functional as F

    from .experiments import build_model, make_task
    from .registry import TRAINING_LRS

    name = optimizer.lower()
    cls = optimizer_class(name)
    lr = TRAINING_LRS[name] if lr is None else lr
    task = make_task(dataset, 600, seed=seed)
    model = build_model([task.X_train.shape[1], *sizes[1:-1], task.n_classes],
                        seed)
    named = list(model.named_parameters())
    opt = cls([p for _, p in named], lr=lr, backend="numpy")
    loader = DataLoader(task.X_train, task.y_train, batch_size=batch_size,
                        shuffle=True, seed=seed)
    rows, batches = [], iter(loader)
    for t in range(1, steps + 1):
        xb, yb = next(batches, (None, None))
        if xb is None:
            batches = iter(loader)
            xb, yb = next(batches)
        before = [p.data.copy() for _, p in named]
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        grads = [np.array(p.grad, copy=True) for _, p in named]
        opt.step()
        for (pname, p), old, g in zip(named, before, grads):
            ratio = opt.state[p].get("trust_ratio")
            rows.append(TensorStep(
                t=t, name=pname, grad_norm=float(np.linalg.norm(g)),
                step_norm=float(np.linalg.norm(p.data - old)),
                norm=float(np.linalg.norm(p.data)),
                trust_ratio=None if ratio is None else float(ratio),
                norm_before=float(np.linalg.norm(old))))
    return rows


def format_trace_net(rows, optimizer=""):
    """``trace_net`` as text: a table per step."""
    from .registry import display_name

    lines, width = [], max(len(r.name) for r in rows)
    for t in sorted({r.t for r in rows}):
        lines.append(f"step {t}  ({display_name(optimizer)})")
        lines.append(f"  {'tensor':<{width}}  {'||g||':>9}  {'||step||':>9}  "
                     f"{'||p|| before':>12}  {'step/||p||':>10}  "
                     f"{'trust ratio':>11}")
        for r in (r for r in rows if r.t == t):
            trust = "" if r.trust_ratio is None else f"{r.trust_ratio:.4g}"
            lines.append(f"  {r.name:<{width}}  {r.grad_norm:>9.3g}  "
                         f"{r.step_norm:>9.3g}  {r.norm_before:>12.3g}  "
                         f"{r.relative_step:>10.3g}  {trust:>11}")
    return "\n".join(lines)
