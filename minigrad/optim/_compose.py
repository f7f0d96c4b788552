"""Schedules made of schedules (``SequentialLR``, ``ChainedScheduler``) and
the one that reacts to a measured loss (``ReduceLROnPlateau``). Reached as
``minigrad.optim.lr_scheduler.<name>``."""
import bisect
import math

from ._scheduler import LRScheduler, _check_int, _check_real


def _children(optimizer, schedulers, name):
    schedulers = list(schedulers)
    if not schedulers:
        raise ValueError(f"{name} needs at least one scheduler")
    for s in schedulers:
        if not isinstance(s, LRScheduler):
            raise TypeError(f"{name} takes closed-form schedulers, got "
                            f"{type(s).__name__}")
        if s.optimizer is not optimizer:
            raise ValueError(f"every scheduler in a {name} must schedule the "
                             f"same optimizer")
    return schedulers


class _Composite(LRScheduler):
    """Shared bookkeeping: the children's states travel in ours."""

    def _sync(self):
        raise NotImplementedError

    def _apply(self):
        super()._apply()
        self._sync()

    def _hyperparameters(self):
        return {"schedulers": [type(s).__name__ for s in self.schedulers]}

    def state_dict(self):
        state = super().state_dict()
        state["children"] = [s.state_dict() for s in self.schedulers]
        return state

    def _check_state(self, state):
        children = state.get("children") if isinstance(state, dict) else None
        if not isinstance(children, list) or len(children) != len(self.schedulers):
            raise ValueError(f"{type(self).__name__} state must hold "
                             f"{len(self.schedulers)} child states, got "
                             f"{children!r}")
        for s, child in zip(self.schedulers, children):
            s._check_state(child)
        super()._check_state(state)

    def _load_checked(self, state):
        super()._load_checked(state)
        for s, child in zip(self.schedulers, state["children"]):
            s._load_checked(child)


class SequentialLR(_Composite):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]``
    from its own step 0, and so on:

        lr(t) = schedulers[i].lr(t - milestones[i-1]),  i = #milestones <= t

    E.g. warmup then cosine: ``SequentialLR(opt, [LinearLR(opt, 0.01, 1, 100),
    CosineAnnealingLR(opt, 900)], milestones=[100])``. Every child starts from
    the groups' ``"initial_lr"``, as in PyTorch.
    """

    def __init__(self, optimizer, schedulers, milestones):
        self.schedulers = _children(optimizer, schedulers, "SequentialLR")
        self.milestones = [_check_int("milestone", m, 1) for m in milestones]
        if len(self.milestones) != len(self.schedulers) - 1:
            raise ValueError(f"SequentialLR needs {len(self.schedulers) - 1} "
                             f"milestones for {len(self.schedulers)} schedulers,"
                             f" got {len(self.milestones)}")
        if self.milestones != sorted(set(self.milestones)):
            raise ValueError(f"milestones must increase, got {self.milestones}")
        super().__init__(optimizer)

    def _child(self, t):
        i = bisect.bisect_right(self.milestones, t)
        return i, t - (self.milestones[i - 1] if i else 0)

    def group_lr_at(self, index, t, base_lr):
        i, local = self._child(t)
        return self.schedulers[i].group_lr_at(index, local, base_lr)

    def _sync(self):
        i, local = self._child(self.last_epoch)
        self.schedulers[i].last_epoch = local
        self.schedulers[i]._last_lr = list(self._last_lr)

    def _hyperparameters(self):
        return dict(super()._hyperparameters(), milestones=list(self.milestones))


class ChainedScheduler(_Composite):
    """Apply several schedules at once, each to the rate the previous one
    gave: ``lr(t) = s_n(t, ... s_2(t, s_1(t, base_lr)))``. For schedules that
    multiply the rate by a factor (Step, MultiStep, Exponential, Linear,
    Lambda, Cosine with ``eta_min=0``) this is ``base_lr`` times the product
    of the factors, which is what PyTorch's step-by-step chaining gives; for
    the others (Cosine with ``eta_min > 0``, OneCycle) PyTorch's recursive
    updates give other numbers.
    """

    def __init__(self, schedulers, optimizer=None):
        schedulers = list(schedulers)
        optimizer = optimizer if optimizer is not None else getattr(
            schedulers[0] if schedulers else None, "optimizer", None)
        self.schedulers = _children(optimizer, schedulers, "ChainedScheduler")
        super().__init__(optimizer)

    def group_lr_at(self, index, t, base_lr):
        lr = base_lr
        for s in self.schedulers:
            lr = s.group_lr_at(index, t, lr)
        return lr

    def _sync(self):
        for s in self.schedulers:
            s.last_epoch = self.last_epoch
            s._last_lr = list(self._last_lr)


class ReduceLROnPlateau:
    """Cut the rate by ``factor`` when a metric has stopped improving for
    more than ``patience`` calls of ``step(metric)`` (PyTorch's algorithm and
    defaults):

        better:  min mode, rel: m < best * (1 - threshold);  abs: m < best - threshold
                 max mode, rel: m > best * (1 + threshold);  abs: m > best + threshold
        after more than ``patience`` calls without a better value:
                 lr = max(lr * factor, min_lr)  (kept if it changes by <= eps),
                 then ``cooldown`` calls during which bad calls are not counted.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10,
                 threshold=1e-4, threshold_mode="rel", cooldown=0, min_lr=0.0,
                 eps=1e-8):
        groups = getattr(optimizer, "param_groups", None)
        if not isinstance(groups, list) or not groups:
            raise TypeError(f"ReduceLROnPlateau needs an optimizer with "
                            f"param_groups, got {type(optimizer).__name__}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got "
                             f"{threshold_mode!r}")
        self.factor = _check_real("factor", factor, 0.0, strict=True)
        if self.factor >= 1:
            raise ValueError(f"factor must be < 1, got {factor}")
        self.optimizer, self.mode, self.threshold_mode = optimizer, mode, \
            threshold_mode
        self.patience = _check_int("patience", patience, 0)
        self.threshold = _check_real("threshold", threshold, 0.0)
        self.cooldown = _check_int("cooldown", cooldown, 0)
        mins = list(min_lr) if isinstance(min_lr, (list, tuple)) else \
            [min_lr] * len(groups)
        if len(mins) != len(groups):
            raise ValueError(f"expected {len(groups)} min_lr values, got "
                             f"{len(mins)}")
        self.min_lrs = [_check_real("min_lr", m, 0.0) for m in mins]
        self.eps = _check_real("eps", eps, 0.0)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self._last_lr = [float(g["lr"]) for g in groups]

    def _is_better(self, value):
        t, rel = self.threshold, self.threshold_mode == "rel"
        if self.mode == "min":
            return value < (self.best * (1 - t) if rel else self.best - t)
        return value > (self.best * (1 + t) if rel else self.best + t)

    def step(self, metrics):
        """Record one measurement (e.g. the validation loss) and cut the
        rates if it is time to."""
        value = float(getattr(metrics, "item", lambda: metrics)())
        if math.isnan(value):
            raise ValueError("ReduceLROnPlateau.step got NaN as the metric")
        self.last_epoch += 1
        if self._is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, low in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(group["lr"])
                new = max(old * self.factor, low)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [float(g["lr"]) for g in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates (one per param group) after the last step."""
        return list(self._last_lr)

    _KEYS = ("best", "num_bad_epochs", "cooldown_counter", "last_epoch",
             "last_lr")

    def state_dict(self):
        """The counters, the best value so far and the rates."""
        return {"best": self.best, "num_bad_epochs": self.num_bad_epochs,
                "cooldown_counter": self.cooldown_counter,
                "last_epoch": self.last_epoch, "last_lr": list(self._last_lr)}

    def check_state_dict(self, state):
        """Raise what ``load_state_dict(state)`` would, and change nothing."""
        if not isinstance(state, dict) or set(state) != set(self._KEYS):
            raise KeyError(f"ReduceLROnPlateau state must have the keys "
                           f"{sorted(self._KEYS)}, got {state!r}")
        for key in ("num_bad_epochs", "cooldown_counter", "last_epoch"):
            _check_int(key, state[key], 0)
        if len(state["last_lr"]) != len(self.optimizer.param_groups):
            raise ValueError("ReduceLROnPlateau state has "
                             f"{len(state['last_lr'])} rates for "
                             f"{len(self.optimizer.param_groups)} param groups")
        for lr in state["last_lr"]:
            _check_real("last_lr", lr, 0.0)

    def load_state_dict(self, state):
        """Restore a ``state_dict()``, rates included; all or nothing."""
        self.check_state_dict(state)
        self.best = float(state["best"])
        self.num_bad_epochs = int(state["num_bad_epochs"])
        self.cooldown_counter = int(state["cooldown_counter"])
        self.last_epoch = int(state["last_epoch"])
        self._last_lr = [float(lr) for lr in state["last_lr"]]
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr
