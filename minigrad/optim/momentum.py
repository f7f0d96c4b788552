"""Momentum: gradient descent with an exponential moving average of gradients."""
from collections import namedtuple

from . import _checks
from .optimizer import Optimizer
from .sgd import l2_penalty

__all__ = ["Momentum"]

Coefficients = namedtuple("MomentumCoefficients",
                          "lr weight_decay beta one_minus_beta")


class Momentum(Optimizer):
    r"""Gradient descent with an exponential moving average of gradients.

    ::

        g = g + weight_decay * p           (if weight_decay; L2 style)
        v = beta * v + (1 - beta) * g      (v starts at 0)
        p = p - lr * v

    Defaults: ``lr=1e-2, beta=0.9, weight_decay=0``. The "momentum" form of
    Polyak 1964 / the EMA form used in most lecture notes.

    Where we differ from PyTorch: there is no such class there. It takes the
    same steps as ``torch.optim.SGD(lr=lr * (1 - beta), momentum=beta)``
    (whose buffer is ``v / (1 - beta)``), to ~1e-15. It is not
    ``SGD(momentum=beta, dampening=beta)``: that buffer starts at the
    undamped ``g`` (here ``v = (1 - beta) g``); the buffers then converge,
    but the parameters stay apart. At equal ``lr`` the steps are
    ``1 - beta`` times torch's; the gain over plain SGD is a larger stable
    lr, ``2 (1 + beta) / ((1 - beta) h_max)`` on a quadratic of largest
    curvature ``h_max`` (``docs/optimizers.md``).
    State per parameter: ``velocity``, ``step``.
    """

    kernel = "momentum"
    buffer_names = ("velocity",)
    Coefficients = Coefficients

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
        return Coefficients(lr=group["lr"], weight_decay=group["weight_decay"],
                            beta=group["beta"], one_minus_beta=1 - group["beta"])

    def _flags(self, group):
        return (int(group["weight_decay"] != 0),)


# ---- per element, plain Python: compiled into the kernels (kernels/jit.py).
def momentum_element(p, g, v, c, has_weight_decay):
    """``v = beta v + (1 - beta) g``, ``p - lr v``."""
    g = l2_penalty(g, p, c.weight_decay, has_weight_decay)
    v = c.beta * v + c.one_minus_beta * g
    return p - c.lr * v, v


ELEMENT_FUNCTIONS = (momentum_element,)
