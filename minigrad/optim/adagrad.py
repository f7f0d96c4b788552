"""AdaGrad: per-coordinate rates from the sum of squared gradients."""
from collections import namedtuple
import math

import numpy as np

from . import _checks
from .optimizer import Optimizer
from .sgd import l2_penalty

__all__ = ["AdaGrad"]

# decayed_lr: this step's rate, lr / (1 + (t - 1) * lr_decay)
Coefficients = namedtuple("AdaGradCoefficients", "decayed_lr weight_decay eps")


class AdaGrad(Optimizer):
    r"""AdaGrad (Duchi, Hazan & Singer 2011, JMLR; no arXiv id), exactly
    ``torch.optim.Adagrad``.

    ::

        g   = g + weight_decay * p                 (if weight_decay)
        clr = lr / (1 + (t - 1) * lr_decay)
        s   = s + g * g                            (s starts at
                                                    initial_accumulator_value)
        p   = p - clr * g / (sqrt(s) + eps)

    Defaults: ``lr=1e-2, lr_decay=0, weight_decay=0,
    initial_accumulator_value=0, eps=1e-10``.
    State per parameter: ``sum``, ``step``.
    """

    kernel = "adagrad"
    buffer_names = ("sum",)
    Coefficients = Coefficients

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, *, backend="cpu",
                 on_nonfinite=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value,
                        eps=eps)
        super().__init__(params, defaults, backend=backend,
                         on_nonfinite=on_nonfinite)

    def _check(self, group):
        _checks.common(group)
        _checks.real("lr_decay", group["lr_decay"])
        _checks.real("initial_accumulator_value",
                     group["initial_accumulator_value"])
        _checks.real("epsilon value", group["eps"])

    def _buffers(self, group):
        return {"sum": group["initial_accumulator_value"]}

    def _reference(self, p, g, state, group, t):
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        if wd != 0:
            g = g + wd * p
        clr = lr / (1 + (t - 1) * group["lr_decay"])
        s = state["sum"]
        s[...] = s + g * g
        p[...] = p - clr * (g / (np.sqrt(s) + eps))

    def _coefficients(self, group, t):
        return Coefficients(
            decayed_lr=group["lr"] / (1 + (t - 1) * group["lr_decay"]),
            weight_decay=group["weight_decay"], eps=group["eps"])

    def _flags(self, group):
        return (int(group["weight_decay"] != 0),)


# ---- per element, plain Python: compiled into the kernels (kernels/jit.py).
def adagrad_element(p, g, s, c, has_weight_decay):
    """``s = s + g^2``, ``p - clr g / (sqrt(s) + eps)``."""
    g = l2_penalty(g, p, c.weight_decay, has_weight_decay)
    s = s + g * g
    return p - c.decayed_lr * (g / (math.sqrt(s) + c.eps)), s


ELEMENT_FUNCTIONS = (adagrad_element,)
