"""RMSProp: gradients divided by a running root-mean-square."""
from collections import namedtuple
import math

import numpy as np

from . import _checks
from .optimizer import Optimizer
from .sgd import l2_penalty

__all__ = ["RMSProp"]

Coefficients = namedtuple("RMSPropCoefficients",
                          "lr weight_decay alpha one_minus_alpha eps momentum")


class RMSProp(Optimizer):
    r"""RMSProp (Hinton, Coursera lecture 6e, 2012; centered form: Graves
    2013, arXiv:1308.0850), exactly ``torch.optim.RMSprop``.

    ::

        g    = g + weight_decay * p                    (if weight_decay)
        v    = alpha * v + (1 - alpha) * g * g
        avg  = sqrt(v) + eps                           or, if centered:
        gbar = alpha * gbar + (1 - alpha) * g;  avg = sqrt(v - gbar**2) + eps
        b    = momentum * b + g / avg;  p = p - lr * b (if momentum > 0)
        p    = p - lr * g / avg                        (otherwise)

    All buffers start at zero; eps is added outside the square root.
    Defaults: ``lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False``.
    State per parameter: ``square_avg``, ``grad_avg`` (centered),
    ``momentum_buffer`` (momentum > 0), ``step``.
    """

    kernel = "rmsprop"
    buffer_names = ("square_avg", "grad_avg", "momentum_buffer")
    Coefficients = Coefficients

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, *, backend="cpu",
                 on_nonfinite=None):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered)
        super().__init__(params, defaults, backend=backend,
                         on_nonfinite=on_nonfinite)

    def _check(self, group):
        _checks.common(group)
        _checks.real("alpha value", group["alpha"], 0.0, 1.0, high_open=False)
        _checks.real("epsilon value", group["eps"])
        _checks.real("momentum value", group["momentum"])
        _checks.flag("centered", group["centered"])

    def _buffers(self, group):
        names = {"square_avg": 0.0}
        if group["centered"]:
            names["grad_avg"] = 0.0
        if group["momentum"] > 0:
            names["momentum_buffer"] = 0.0
        return names

    def _reference(self, p, g, state, group, t):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        wd, mu = group["weight_decay"], group["momentum"]
        if wd != 0:
            g = g + wd * p
        v = state["square_avg"]
        v[...] = alpha * v + (1 - alpha) * g * g
        if group["centered"]:
            gbar = state["grad_avg"]
            gbar[...] = alpha * gbar + (1 - alpha) * g
            avg = np.sqrt(v - gbar * gbar) + eps
        else:
            avg = np.sqrt(v) + eps
        if mu > 0:
            b = state["momentum_buffer"]
            b[...] = mu * b + g / avg
            p[...] = p - lr * b
        else:
            p[...] = p - lr * (g / avg)

    def _coefficients(self, group, t):
        return Coefficients(lr=group["lr"], weight_decay=group["weight_decay"],
                            alpha=group["alpha"],
                            one_minus_alpha=1 - group["alpha"],
                            eps=group["eps"], momentum=group["momentum"])

    def _flags(self, group):
        return (int(group["weight_decay"] != 0), int(group["centered"]),
                int(group["momentum"] > 0))


# ---- per element, plain Python: compiled into the kernels (kernels/jit.py).
def rmsprop_element(p, g, v, gbar, buf, c, has_weight_decay, centered,
                    has_momentum):
    """One element; eps is added outside the square root (as PyTorch)."""
    g = l2_penalty(g, p, c.weight_decay, has_weight_decay)
    v = c.alpha * v + c.one_minus_alpha * g * g
    if centered:
        gbar = c.alpha * gbar + c.one_minus_alpha * g
        avg = math.sqrt(v - gbar * gbar) + c.eps
    else:
        avg = math.sqrt(v) + c.eps
    if has_momentum:
        buf = c.momentum * buf + g / avg
        return p - c.lr * buf, v, gbar, buf
    return p - c.lr * (g / avg), v, gbar, buf


ELEMENT_FUNCTIONS = (rmsprop_element,)
