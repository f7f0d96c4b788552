"""The ``LRScheduler`` base class and its argument checks (the schedules
themselves are in ``lr_scheduler.py``, whose docstring explains the
contract)."""
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
        lrs = [self._finite_lr(self.last_epoch, b, i)
               for i, b in enumerate(self.base_lrs)]
        self._last_lr = lrs
        for group, lr in zip(groups, lrs):
            group["lr"] = lr

    def group_lr_at(self, index, t, base_lr):
        """The rate of param group ``index`` at ``t`` (``lr_at`` unless a
        schedule differs per group, as ``LambdaLR`` with a list)."""
        return self.lr_at(t, base_lr)

    def _finite_lr(self, t, base_lr, index=0):
        try:
            lr = float(self.group_lr_at(index, t, base_lr))
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
        for i, lr in enumerate(base_lrs):  # the rates _apply sets must be finite
            self._finite_lr(int(state["last_epoch"]), float(lr), i)

    def _load_checked(self, state):
        self.last_epoch = int(state["last_epoch"])
        self.base_lrs = [float(b) for b in state["base_lrs"]]
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["initial_lr"] = base

    def __repr__(self):
        settings = ", ".join(f"{k}={v}" for k, v in self._hyperparameters().items())
        return f"{type(self).__name__}({settings}, last_epoch={self.last_epoch})"


