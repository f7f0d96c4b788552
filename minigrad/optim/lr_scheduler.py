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

The schedulers only read and write ``optimizer.param_groups[i]["lr"]`` and
``["initial_lr"]``, so they work with any object whose ``param_groups`` is a
list of dicts.
"""
import math
import numbers

__all__ = ["LRScheduler", "StepLR", "CosineAnnealingLR", "LinearWarmup"]


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_real(name, value, minimum, strict=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    too_small = value <= minimum if strict else value < minimum
    if not math.isfinite(value) or too_small:
        bound = ">" if strict else ">="
        raise ValueError(f"{name} must be finite and {bound} {minimum}, got {value}")
    return value


class LRScheduler:
    """Base class: subclasses define ``lr_at(t, base_lr)``, the closed form."""

    def __init__(self, optimizer):
        groups = getattr(optimizer, "param_groups", None)
        if not isinstance(groups, list) or not groups or not all(
                isinstance(g, dict) and "lr" in g for g in groups):
            raise TypeError(
                f"{type(self).__name__} needs an optimizer whose param_groups is "
                f"a non-empty list of dicts with an 'lr' entry, got "
                f"{type(optimizer).__name__}"
            )
        for i, group in enumerate(groups):
            _check_real(f"param_groups[{i}]['lr']", group["lr"], 0.0)
        self.optimizer = optimizer
        for group in groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [float(g["initial_lr"]) for g in groups]
        self.last_epoch = 0
        self._apply()

    def lr_at(self, t, base_lr):
        """The learning rate after ``t`` calls of ``step()``."""
        raise NotImplementedError

    def step(self):
        """Advance the schedule by one and set the new learning rates.

        A rate that would not be a finite number (e.g. ``StepLR`` with
        ``gamma > 1`` run until it overflows) raises ``ValueError`` and
        changes nothing.
        """
        self.last_epoch += 1
        try:
            self._apply()
        except ValueError:
            self.last_epoch -= 1
            raise

    def get_last_lr(self):
        """The learning rates (one per param group) set by the last step."""
        return list(self._last_lr)

    def _apply(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise RuntimeError(
                f"the optimizer has {len(groups)} param groups but the scheduler "
                f"was made for {len(self.base_lrs)}; make a new scheduler after "
                "adding groups"
            )
        lrs = [self._finite_lr(self.last_epoch, b) for b in self.base_lrs]
        self._last_lr = lrs
        for group, lr in zip(groups, lrs):
            group["lr"] = lr

    def _finite_lr(self, t, base_lr):
        try:
            lr = float(self.lr_at(t, base_lr))
        except OverflowError:
            lr = math.inf
        if not math.isfinite(lr):
            raise ValueError(
                f"{self!r}: the learning rate at step {t} (base lr {base_lr}) is "
                f"{lr}; expected a finite number, check the schedule's settings"
            )
        return lr

    # --- saving and resuming ------------------------------------------------
    def _hyperparameters(self):
        """Constructor settings, stored in the state dict and checked on load."""
        return {}

    def state_dict(self):
        """Plain numbers and lists: ``last_epoch``, ``base_lrs`` and settings."""
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs),
                **self._hyperparameters()}

    def load_state_dict(self, state):
        """Restore a ``state_dict()`` and set the learning rates it implies.

        Everything is checked first; a bad state raises and changes nothing.
        """
        self._check_state(state)
        self._load_checked(state)
        self._apply()

    def check_state_dict(self, state):
        """Raise what ``load_state_dict(state)`` would raise, and change
        nothing. ``mg.restore`` checks every object this way first."""
        self._check_state(state)

    def _check_state(self, state):
        name = type(self).__name__
        if not isinstance(state, dict):
            raise TypeError(f"{name} state must be a dict, got {type(state).__name__}")
        expected = set(self.state_dict())
        if set(state) != expected:
            raise KeyError(
                f"{name} state: missing keys {sorted(expected - set(state))}, "
                f"unexpected keys {sorted(set(state) - expected)}"
            )
        _check_int("last_epoch", state["last_epoch"], 0)
        base_lrs = list(state["base_lrs"])
        if len(base_lrs) != len(self.optimizer.param_groups):
            raise ValueError(
                f"{name} state has {len(base_lrs)} base_lrs but the optimizer "
                f"has {len(self.optimizer.param_groups)} param groups"
            )
        for i, lr in enumerate(base_lrs):
            _check_real(f"base_lrs[{i}]", lr, 0.0)
        for key, value in self._hyperparameters().items():
            if state[key] != value:
                raise ValueError(f"{name} state has {key}={state[key]!r} but this "
                                 f"scheduler has {key}={value!r}")
        for lr in base_lrs:  # the rates _apply will set must be finite too
            self._finite_lr(int(state["last_epoch"]), float(lr))

    def _load_checked(self, state):
        self.last_epoch = int(state["last_epoch"])
        self.base_lrs = [float(b) for b in state["base_lrs"]]
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["initial_lr"] = base

    def __repr__(self):
        settings = ", ".join(f"{k}={v}" for k, v in self._hyperparameters().items())
        return f"{type(self).__name__}({settings}, last_epoch={self.last_epoch})"


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
