"""SGD: gradient descent, with optional heavy-ball momentum and L2 decay."""
from collections import namedtuple

from . import _checks
from .optimizer import Optimizer

__all__ = ["SGD"]

# The host computes these once per step, in the parameter's dtype; the
# kernels read them by name (see ``optim/kernels/jit.py``).
Coefficients = namedtuple("SGDCoefficients",
                          "lr weight_decay momentum one_minus_dampening")


class SGD(Optimizer):
    r"""Stochastic gradient descent, exactly ``torch.optim.SGD``.

    With ``g`` the gradient::

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
    Coefficients = Coefficients

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

    def _steps(self, bucket, index):
        # t counts the steps since the momentum buffer appeared, so t == 1
        # means "no buffer yet" (PyTorch: ``if buf is None: buf = g``)
        steps = super()._steps(bucket, index)
        born = bucket.born.get("momentum_buffer")
        return steps if born is None else steps - born[index]

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
        return Coefficients(lr=group["lr"], weight_decay=group["weight_decay"],
                            momentum=group["momentum"],
                            one_minus_dampening=1 - group["dampening"])

    def _flags(self, group):
        return (int(group["weight_decay"] != 0), int(group["momentum"] != 0),
                int(group["nesterov"]))


# ---- per element, plain Python: compiled into the kernels (kernels/jit.py).
# No number literals: a float32 kernel must not compute in float64.
def l2_penalty(g, p, weight_decay, has_weight_decay):
    """L2 weight decay folded into the gradient: ``g + wd * p`` (SGD's, and
    that of every rule with L2-style decay)."""
    if has_weight_decay:
        return g + weight_decay * p
    return g


def sgd_element(p, g, buf, c, has_weight_decay, has_momentum, first_step,
                nesterov):
    """One element of ``p``; ``first_step``: no buffer yet (``b = g``)."""
    g = l2_penalty(g, p, c.weight_decay, has_weight_decay)
    if has_momentum:
        if first_step:
            buf = g
        else:
            buf = c.momentum * buf + c.one_minus_dampening * g
        if nesterov:
            g = g + c.momentum * buf
        else:
            g = buf
    return p - c.lr * g, buf


ELEMENT_FUNCTIONS = (l2_penalty, sgd_element)
