"""Adam: bias-corrected moment estimates (Kingma & Ba 2014, arXiv:1412.6980).

The pieces are plain functions so that AdamW and LAMB are visibly "Adam plus
something": ``update_moments`` (shared by all three) and ``adam_step``
(shared by Adam and ``adamw.py``), and per element ``moments_element`` and
``adam_update_element`` likewise.
"""
from collections import namedtuple
import math

import numpy as np

from . import _checks
from .optimizer import Optimizer
from .sgd import l2_penalty

__all__ = ["Adam"]

# step_size = lr / (1 - beta1**t); sqrt_bias_correction2 = sqrt(1 - beta2**t)
Coefficients = namedtuple(
    "AdamCoefficients", "step_size weight_decay beta1 one_minus_beta1 beta2 "
    "one_minus_beta2 eps sqrt_bias_correction2")


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
    Coefficients = Coefficients

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

    def _coefficients(self, group, t):
        beta1, beta2 = group["betas"]
        return Coefficients(
            step_size=group["lr"] / (1 - beta1 ** t),
            weight_decay=group["weight_decay"], beta1=beta1,
            one_minus_beta1=1 - beta1, beta2=beta2, one_minus_beta2=1 - beta2,
            eps=group["eps"], sqrt_bias_correction2=math.sqrt(1 - beta2 ** t))

    def _flags(self, group):
        return (int(group["weight_decay"] != 0), int(group["amsgrad"]))


# ---- per element, plain Python: compiled into the kernels (kernels/jit.py).
def moments_element(g, m, v, c):
    """First and second moment estimates (Adam, AdamW, LAMB)."""
    m = c.beta1 * m + c.one_minus_beta1 * g
    v = c.beta2 * v + c.one_minus_beta2 * g * g
    return m, v


def adam_update_element(p, g, m, v, vmax, c, amsgrad):
    """The Adam step proper (Adam, AdamW): as PyTorch, eps is added after
    bias-correcting the root of v, ``sqrt(v) / sqrt(1 - beta2**t) + eps``;
    with amsgrad the running maximum of the (uncorrected) v takes its place."""
    m, v = moments_element(g, m, v, c)
    if amsgrad:
        if v > vmax:
            vmax = v
        denom = math.sqrt(vmax) / c.sqrt_bias_correction2 + c.eps
    else:
        denom = math.sqrt(v) / c.sqrt_bias_correction2 + c.eps
    return p - c.step_size * (m / denom), m, v, vmax


def adam_element(p, g, m, v, vmax, c, has_weight_decay, amsgrad):
    """Adam = L2 decay folded into the gradient, then the Adam step."""
    g = l2_penalty(g, p, c.weight_decay, has_weight_decay)
    return adam_update_element(p, g, m, v, vmax, c, amsgrad)


ELEMENT_FUNCTIONS = (moments_element, adam_update_element, adam_element)
