"""Adam and AdamW: bias-corrected moment estimates (Kingma & Ba 2014,
arXiv:1412.6980; Loshchilov & Hutter 2017, arXiv:1711.05101).

The pieces are plain functions so that AdamW and LAMB are visibly "Adam plus
something": ``update_moments`` (shared by all three) and ``adam_step``
(shared by Adam and AdamW).
"""
import math

import numpy as np

from . import _checks
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


def update_moments(g, state, beta1, beta2):
    """``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g^2``, in place."""
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    return m, v


def adam_step(p, g, state, lr, beta1, beta2, eps, amsgrad, t):
    """The Adam step proper at step ``t`` (no weight decay), in place."""
    m, v = update_moments(g, state, beta1, beta2)
    bias_correction1 = 1 - beta1 ** t
    bias_correction2 = 1 - beta2 ** t
    if amsgrad:
        v_max = state["max_exp_avg_sq"]
        np.maximum(v_max, v, out=v_max)
        v = v_max
    denom = np.sqrt(v) / math.sqrt(bias_correction2) + eps
    p[...] = p - (lr / bias_correction1) * (m / denom)


class Adam(Optimizer):
    r"""Adam, exactly ``torch.optim.Adam`` (weight decay as an L2 term).

    ::

        g = g + weight_decay * p                     (if weight_decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v);  use v_max for v      (if amsgrad)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Defaults: ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    amsgrad=False``. Note: eps is added after bias-correcting ``sqrt(v)`` (as
    PyTorch; the paper's Algorithm 1 writes ``sqrt(v_hat) + eps``, the same
    thing). AMSGrad: Reddi et al. 2018, arXiv:1904.09237.
    State per parameter: ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``
    (amsgrad), ``step``.
    """

    kernel = "adam"
    buffer_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                 weight_decay=0.0, amsgrad=False, *, backend="cpu",
                 on_nonfinite=None):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(
            betas, list) else betas, eps=eps, weight_decay=weight_decay,
            amsgrad=amsgrad)
        super().__init__(params, defaults, backend=backend,
                         on_nonfinite=on_nonfinite)

    def _check(self, group):
        _checks.adam_family(group)
        _checks.flag("amsgrad", group["amsgrad"])

    def _buffers(self, group):
        names = {"exp_avg": 0.0, "exp_avg_sq": 0.0}
        if group["amsgrad"]:
            names["max_exp_avg_sq"] = 0.0
        return names

    def _reference(self, p, g, state, group, t):
        wd = group["weight_decay"]
        if wd != 0:
            g = g + wd * p
        adam_step(p, g, state, group["lr"], *group["betas"], group["eps"],
                  group["amsgrad"], t)

    def _adam_coefficients(self, group, t):
        beta1, beta2 = group["betas"]
        step_size = group["lr"] / (1 - beta1 ** t)
        return (step_size, beta1, 1 - beta1, beta2, 1 - beta2, group["eps"],
                math.sqrt(1 - beta2 ** t))

    def _coefficients(self, group, t):
        step_size, *rest = self._adam_coefficients(group, t)
        return (step_size, group["weight_decay"], *rest)

    def _flags(self, group):
        return (int(group["weight_decay"] != 0), int(group["amsgrad"]))


class AdamW(Adam):
    r"""AdamW, exactly ``torch.optim.AdamW``: Adam with decoupled weight decay.

    ::

        p = p * (1 - lr * weight_decay)        (first, on the old p)
        Adam step with the raw gradient (no L2 term)

    Defaults: as Adam but ``weight_decay=1e-2``. With ``weight_decay=0`` it is
    Adam exactly.
    """

    kernel = "adamw"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                 weight_decay=1e-2, amsgrad=False, *, backend="cpu",
                 on_nonfinite=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps,
                         weight_decay=weight_decay, amsgrad=amsgrad,
                         backend=backend, on_nonfinite=on_nonfinite)

    def _reference(self, p, g, state, group, t):
        p[...] = p * (1 - group["lr"] * group["weight_decay"])
        adam_step(p, g, state, group["lr"], *group["betas"], group["eps"],
                  group["amsgrad"], t)

    def _coefficients(self, group, t):
        decay = 1 - group["lr"] * group["weight_decay"]
        return (decay, *self._adam_coefficients(group, t))

    def _flags(self, group):
        return (int(group["amsgrad"]),)
