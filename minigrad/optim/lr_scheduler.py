"""Learning-rate schedules: change ``group["lr"]`` of an optimizer over time.

Call ``scheduler.step()`` once per epoch (or per optimizer step, as you like)
AFTER ``optimizer.step()``. A scheduler counts its calls in ``last_epoch`` (0
right after construction) and sets every param group's learning rate to the
closed form ``lr(t)`` of its schedule at ``t = last_epoch``; ``get_last_lr()``
returns those values. The schedule starts from each group's ``"initial_lr"``,
which the first scheduler attached to an optimizer records from ``group["lr"]``
(so several schedulers, or a warmup handing over to another, share one start).

Where we differ from PyTorch: PyTorch updates most rates recursively from the
previous rate; we always evaluate the closed form, so the values do not drift
with rounding and anything that sets ``last_epoch`` (``load_state_dict``) lands
on exactly the right rate. The values are the same up to rounding.

``ReduceLROnPlateau`` is the exception: it reacts to a measured loss, so it
has no closed form; it follows PyTorch's algorithm step by step.

The schedulers only read and write ``optimizer.param_groups[i]["lr"]`` and
``["initial_lr"]``, so they work with any object whose ``param_groups`` is a
list of dicts.
"""
import bisect
import math

from ._compose import ChainedScheduler, ReduceLROnPlateau, SequentialLR
from ._scheduler import LRScheduler, _check_int, _check_real

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "LinearLR",
           "LambdaLR", "CosineAnnealingLR", "OneCycleLR", "LinearWarmup",
           "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau"]

class StepLR(LRScheduler):
    """Decay by ``gamma`` every ``step_size`` steps:

        lr(t) = base_lr * gamma ** floor(t / step_size)

    Defaults as ``torch.optim.lr_scheduler.StepLR`` (gamma=0.1).
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = _check_int("step_size", step_size, 1)
        self.gamma = _check_real("gamma", gamma, 0.0, strict=True)
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return base_lr * self.gamma ** (t // self.step_size)

    def _hyperparameters(self):
        return {"step_size": self.step_size, "gamma": self.gamma}


class MultiStepLR(LRScheduler):
    """Decay by ``gamma`` at each milestone:

        lr(t) = base_lr * gamma ** (number of milestones <= t)

    (a milestone listed twice counts twice, as in PyTorch).
    """

    def __init__(self, optimizer, milestones, gamma=0.1):
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones,
                                                                 "__iter__"):
            raise TypeError(f"milestones must be a list of ints, got "
                            f"{milestones!r}")
        self.milestones = sorted(_check_int("milestone", m, 0)
                                 for m in milestones)
        self.gamma = _check_real("gamma", gamma, 0.0, strict=True)
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, t)

    def _hyperparameters(self):
        return {"milestones": list(self.milestones), "gamma": self.gamma}


class ExponentialLR(LRScheduler):
    """Decay by ``gamma`` every step:  ``lr(t) = base_lr * gamma ** t``."""

    def __init__(self, optimizer, gamma):
        self.gamma = _check_real("gamma", gamma, 0.0, strict=True)
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return base_lr * self.gamma ** t

    def _hyperparameters(self):
        return {"gamma": self.gamma}


class LinearLR(LRScheduler):
    """Scale the rate by a factor that moves linearly from ``start_factor``
    to ``end_factor`` over ``total_iters`` steps, then stays:

        lr(t) = base_lr * (s + (e - s) * min(t, total_iters) / total_iters)

    Defaults as PyTorch (``s = 1/3``, ``e = 1``, ``total_iters = 5``); with
    ``s`` small it is a linear warmup.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0,
                 total_iters=5):
        self.start_factor = _check_real("start_factor", start_factor, 0.0,
                                        strict=True)
        self.end_factor = _check_real("end_factor", end_factor, 0.0)
        if self.start_factor > 1 or self.end_factor > 1:
            raise ValueError(f"start_factor and end_factor must be <= 1, got "
                             f"{start_factor} and {end_factor}")
        self.total_iters = _check_int("total_iters", total_iters, 1)
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        s, e = self.start_factor, self.end_factor
        return base_lr * (s + (e - s) * min(t, self.total_iters) / self.total_iters)

    def _hyperparameters(self):
        return {"start_factor": self.start_factor, "end_factor": self.end_factor,
                "total_iters": self.total_iters}


class LambdaLR(LRScheduler):
    """Any schedule you write: ``lr(t) = base_lr * lr_lambda(t)``, with one
    function for all groups or a list of one per group. As in PyTorch the
    functions are not saved in ``state_dict`` (re-create them in code)."""

    def __init__(self, optimizer, lr_lambda):
        groups = getattr(optimizer, "param_groups", None)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else \
            [lr_lambda] * len(groups or [None])
        if not all(callable(f) for f in lambdas):
            raise TypeError(f"lr_lambda must be a function or a list of "
                            f"functions, got {lr_lambda!r}")
        if groups is not None and len(lambdas) != len(groups):
            raise ValueError(f"expected {len(groups)} lr_lambdas (one per param "
                             f"group), got {len(lambdas)}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer)

    def group_lr_at(self, index, t, base_lr):
        return base_lr * self.lr_lambdas[index](t)


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from ``base_lr`` to ``eta_min`` over ``T_max`` steps
    (Loshchilov & Hutter 2016, SGDR, arXiv:1608.03983, without restarts):

        lr(t) = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2

    As in PyTorch, stepping past ``T_max`` follows the same formula, so the rate
    rises again towards ``base_lr`` at ``t = 2 * T_max``; stop stepping (or hand
    over) at ``T_max`` if you want it to stay at ``eta_min``.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = _check_int("T_max", T_max, 1)
        self.eta_min = _check_real("eta_min", eta_min, 0.0)
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        cosine = (1.0 + math.cos(math.pi * t / self.T_max)) / 2.0
        return self.eta_min + (base_lr - self.eta_min) * cosine

    def _hyperparameters(self):
        return {"T_max": self.T_max, "eta_min": self.eta_min}


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin 2017, arXiv:1708.07120), as PyTorch:
    the rate climbs from ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of ``total_steps``, then anneals to ``initial_lr /
    final_div_factor`` at step ``total_steps - 1``. Each phase from ``a`` to
    ``b`` with ``q`` the fraction of the phase done:

        cos:     lr = b + (a - b) * (1 + cos(pi * q)) / 2
        linear:  lr = a + (b - a) * q

    ``three_phase=True`` climbs, comes back down to the initial rate, then
    anneals. With ``cycle_momentum`` (default) the momentum (``"momentum"``,
    or ``beta1`` of ``"betas"``) runs the opposite way between
    ``max_momentum`` and ``base_momentum``. ``total_steps`` (or ``epochs *
    steps_per_epoch``) is the number of ``step()`` calls it allows, and it
    sets ``"initial_lr"`` to ``max_lr / div_factor`` whatever was there.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None,
                 steps_per_epoch=None, pct_start=0.3, anneal_strategy="cos",
                 cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
        groups = getattr(optimizer, "param_groups", None) or []
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("give total_steps, or epochs and steps_per_epoch")
            total_steps = _check_int("epochs", epochs, 1) * _check_int(
                "steps_per_epoch", steps_per_epoch, 1)
        self.total_steps = _check_int("total_steps", total_steps, 1)
        self.pct_start = _check_real("pct_start", pct_start, 0.0)
        if self.pct_start > 1:
            raise ValueError(f"pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self.div_factor = _check_real("div_factor", div_factor, 0.0, strict=True)
        self.final_div_factor = _check_real("final_div_factor",
                                            final_div_factor, 0.0, strict=True)
        self.three_phase = bool(three_phase)
        max_lrs = list(max_lr) if isinstance(max_lr, (list, tuple)) else \
            [max_lr] * len(groups)
        if len(max_lrs) != len(groups):
            raise ValueError(f"expected {len(groups)} max_lr values (one per "
                             f"param group), got {len(max_lrs)}")
        for i, (group, top) in enumerate(zip(groups, max_lrs)):
            group["initial_lr"] = _check_real(f"max_lr[{i}]", top, 0.0) / \
                self.div_factor
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            if groups and not all("momentum" in g or "betas" in g for g in groups):
                raise ValueError("cycle_momentum needs an optimizer with "
                                 "'momentum' or 'betas'; pass "
                                 "cycle_momentum=False")
            self.base_momentum = _check_real("base_momentum", base_momentum, 0.0)
            self.max_momentum = _check_real("max_momentum", max_momentum, 0.0)
        super().__init__(optimizer)

    def _phases(self):
        """(end step, start factor, end factor, momentum start, end) where a
        factor is ``lr / initial_lr`` and momenta are 'max'/'base'."""
        total, pct = self.total_steps, self.pct_start
        low = 1.0 / self.final_div_factor
        if self.three_phase:
            return [(pct * total - 1, 1.0, self.div_factor, "max", "base"),
                    (2 * pct * total - 2, self.div_factor, 1.0, "base", "max"),
                    (total - 1, 1.0, low, "max", "max")]
        return [(pct * total - 1, 1.0, self.div_factor, "max", "base"),
                (total - 1, self.div_factor, low, "base", "max")]

    def _anneal(self, a, b, q):
        if self.anneal_strategy == "cos":
            return b + (a - b) / 2.0 * (math.cos(math.pi * q) + 1)
        return (b - a) * q + a

    def _where(self, t):
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR was stepped {t} times, more than its "
                             f"total_steps={self.total_steps}")
        start = 0.0
        phases = self._phases()
        for i, phase in enumerate(phases):
            end = phase[0]
            if t <= end or i == len(phases) - 1:
                return phase, (t - start) / (end - start)
            start = end

    def lr_at(self, t, base_lr):
        (_, a, b, _, _), q = self._where(t)
        return self._anneal(base_lr * a, base_lr * b, q)

    def _apply(self):
        super()._apply()
        if not self.cycle_momentum:
            return
        (_, _, _, m0, m1), q = self._where(self.last_epoch)
        values = {"max": self.max_momentum, "base": self.base_momentum}
        momentum = self._anneal(values[m0], values[m1], q)
        for group in self.optimizer.param_groups:
            if "betas" in group:
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum

    def _hyperparameters(self):
        return {"total_steps": self.total_steps, "pct_start": self.pct_start,
                "anneal_strategy": self.anneal_strategy,
                "div_factor": self.div_factor,
                "final_div_factor": self.final_div_factor,
                "three_phase": self.three_phase,
                "cycle_momentum": self.cycle_momentum}


class LinearWarmup(LRScheduler):
    """Linear warmup over ``warmup_steps`` steps, then hand over to ``after``:

        lr(t) = base_lr * (t + 1) / warmup_steps    for t < warmup_steps
        lr(t) = after's lr(t - warmup_steps)        afterwards (base_lr if None)

    so the first optimizer step already moves (at ``base_lr / warmup_steps``)
    and step ``warmup_steps - 1`` is the first at full rate. Large-batch
    optimizers such as LAMB (You et al. 2019, arXiv:1904.00962) are usually run
    this way, e.g. ``LinearWarmup(opt, 100, after=CosineAnnealingLR(opt, 900))``.
    ``after`` must schedule the same optimizer; create it first (as in the
    example) or later, both work, since both start from ``"initial_lr"``.
    PyTorch spells this ``SequentialLR([LinearLR(...), ...], milestones=[w])``.
    """

    def __init__(self, optimizer, warmup_steps, after=None):
        self.warmup_steps = _check_int("warmup_steps", warmup_steps, 1)
        if after is not None:
            if not isinstance(after, LRScheduler) or isinstance(after, LinearWarmup):
                raise TypeError(f"after must be a scheduler other than a warmup, "
                                f"got {type(after).__name__}")
            if after.optimizer is not optimizer:
                raise ValueError("after must schedule the same optimizer as the "
                                 "warmup")
        self.after = after
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        if t < self.warmup_steps:
            return base_lr * (t + 1) / self.warmup_steps
        if self.after is None:
            return base_lr
        return self.after.lr_at(t - self.warmup_steps, base_lr)

    def _apply(self):
        super()._apply()
        if self.after is not None:  # keep the follower's own count in line
            self.after.last_epoch = max(0, self.last_epoch - self.warmup_steps)
            self.after._last_lr = list(self._last_lr)

    def _hyperparameters(self):
        follower = None if self.after is None else type(self.after).__name__
        return {"warmup_steps": self.warmup_steps, "after": follower}

    def state_dict(self):
        state = super().state_dict()
        state["after"] = None if self.after is None else self.after.state_dict()
        return state

    def _check_state(self, state):
        after_state = state.get("after") if isinstance(state, dict) else None
        if self.after is None and after_state is not None:
            raise ValueError("LinearWarmup state has an 'after' scheduler but this "
                             "warmup has none")
        if self.after is not None:
            if not isinstance(after_state, dict):
                raise ValueError(f"LinearWarmup state must hold the state of its "
                                 f"{type(self.after).__name__}, got {after_state!r}")
            self.after._check_state(after_state)
        state = dict(state, after=self._hyperparameters()["after"])
        super()._check_state(state)

    def _load_checked(self, state):
        super()._load_checked(state)
        if self.after is not None:
            self.after._load_checked(state["after"])
