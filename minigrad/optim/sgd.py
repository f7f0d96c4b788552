"""Gradient descent with (heavy-ball) momentum: ``SGD`` and ``Momentum``."""
from . import _checks
from .optimizer import Optimizer

__all__ = ["SGD", "Momentum"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, exactly ``torch.optim.SGD``.

    With ``g`` the gradient and ``t`` the step::

        g = g + weight_decay * p                       (if weight_decay)
        b = g                            first step    (if momentum)
        b = momentum * b + (1 - dampening) * g   later
        g = g + momentum * b   if nesterov   else   g = b
        p = p - lr * g

    Defaults: ``lr=1e-3, momentum=0, dampening=0, nesterov=False,
    weight_decay=0``. Nesterov needs ``momentum > 0`` and ``dampening == 0``.
    Nesterov momentum: Sutskever et al. 2013 (ICML, no arXiv id).
    The first step is the first with a buffer, as in PyTorch: momentum
    switched on mid-run (``opt.param_groups[0]["momentum"] = 0.9``) starts
    its buffer as ``g``.
    State per parameter: ``momentum_buffer`` (only when momentum != 0), ``step``.
    """

    kernel = "sgd"
    buffer_names = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0,
                 nesterov=False, weight_decay=0.0, *, backend="cpu",
                 on_nonfinite=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        nesterov=nesterov, weight_decay=weight_decay)
        super().__init__(params, defaults, backend=backend,
                         on_nonfinite=on_nonfinite)

    def _check(self, group):
        _checks.common(group)
        momentum = _checks.real("momentum value", group["momentum"])
        dampening = _checks.real("dampening value", group["dampening"])
        if _checks.flag("nesterov", group["nesterov"]) and (
                momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero "
                             f"dampening, got momentum={momentum}, "
                             f"dampening={dampening}")

    def _buffers(self, group):
        return {"momentum_buffer": 0.0} if group["momentum"] != 0 else {}

    def _steps(self, bucket, active):
        # t counts the steps since the momentum buffer appeared, so t == 1
        # means "no buffer yet" (PyTorch: ``if buf is None: buf = g``)
        steps = super()._steps(bucket, active)
        born = bucket.born.get("momentum_buffer")
        return steps if born is None else steps - born[list(active)]

    def _reference(self, p, g, state, group, t):
        lr, mu = group["lr"], group["momentum"]
        wd, dampening = group["weight_decay"], group["dampening"]
        if wd != 0:
            g = g + wd * p
        if mu != 0:
            b = state["momentum_buffer"]
            if t == 1:
                b[...] = g
            else:
                b[...] = mu * b + (1 - dampening) * g
            g = g + mu * b if group["nesterov"] else b
        p[...] = p - lr * g

    def _coefficients(self, group, t):
        # columns 4 != 5 marks the first step (no float literal in kernels)
        return (group["lr"], group["weight_decay"], group["momentum"],
                1 - group["dampening"], 1.0 if t == 1 else 0.0, 0.0)

    def _flags(self, group):
        return (int(group["weight_decay"] != 0), int(group["momentum"] != 0),
                int(group["nesterov"]))


class Momentum(Optimizer):
    r"""Gradient descent with an exponential moving average of gradients.

    ::

        g = g + weight_decay * p           (if weight_decay; L2 style)
        v = beta * v + (1 - beta) * g      (v starts at 0)
        p = p - lr * v

    Defaults: ``lr=1e-2, beta=0.9, weight_decay=0``. The "momentum" form of
    Polyak 1964 / the EMA form used in most lecture notes.

    Where we differ from PyTorch: there is no such class there. Since
    ``v = (1 - beta) * b`` at every step, with ``b = beta * b + g`` torch's
    buffer, ``Momentum(lr=eta, beta=beta)`` is exactly
    ``torch.optim.SGD(lr=eta * (1 - beta), momentum=beta)`` (to ~1e-15).
    ``SGD(momentum=beta, dampening=beta)`` is not: torch's first buffer is
    the undamped ``g`` and the difference persists. At equal ``lr`` this rule
    steps ``1 - beta`` times shorter than torch's; its gain over plain SGD is
    a larger stable lr, ``2 (1 + beta) / ((1 - beta) h_max)`` on a quadratic.
    State per parameter: ``velocity``, ``step``.
    """

    kernel = "momentum"
    buffer_names = ("velocity",)

    def __init__(self, params, lr=1e-2, beta=0.9, weight_decay=0.0, *,
                 backend="cpu", on_nonfinite=None):
        defaults = dict(lr=lr, beta=beta, weight_decay=weight_decay)
        super().__init__(params, defaults, backend=backend,
                         on_nonfinite=on_nonfinite)

    def _check(self, group):
        _checks.common(group)
        _checks.real("beta", group["beta"], 0.0, 1.0)

    def _buffers(self, group):
        return {"velocity": 0.0}

    def _reference(self, p, g, state, group, t):
        lr, beta, wd = group["lr"], group["beta"], group["weight_decay"]
        if wd != 0:
            g = g + wd * p
        v = state["velocity"]
        v[...] = beta * v + (1 - beta) * g
        p[...] = p - lr * v

    def _coefficients(self, group, t):
        return (group["lr"], group["weight_decay"], group["beta"],
                1 - group["beta"])

    def _flags(self, group):
        return (int(group["weight_decay"] != 0),)

