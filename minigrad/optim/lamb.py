"""LAMB: Adam's direction plus decay, scaled per tensor by a trust ratio."""
from collections import namedtuple
import math

import numpy as np

from . import _checks
from .adam import moments_element, update_moments
from .optimizer import Optimizer

__all__ = ["LAMB"]

# bias_correction1 = 1 - beta1**t (and 2); zero and one in the parameter
# dtype, for the trust ratio's "1 if a norm is 0" on the GPU
Coefficients = namedtuple(
    "LAMBCoefficients", "beta1 one_minus_beta1 beta2 one_minus_beta2 "
    "bias_correction1 bias_correction2 eps weight_decay lr zero one")


def lamb_direction(p, m, v, beta1, beta2, eps, weight_decay, t):
    """``u = m_hat / (sqrt(v_hat) + eps) + wd * p`` (decay inside the ratio)."""
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return m_hat / (np.sqrt(v_hat) + eps) + weight_decay * p


def l2_norm(x):
    """Euclidean norm accumulated in float64 (as the kernels do)."""
    return math.sqrt(np.sum(np.square(x, dtype=np.float64)))


def trust_ratio(p_norm, u_norm):
    """``||p|| / ||u||``, or 1 when either norm is 0 (phi = identity)."""
    return p_norm / u_norm if p_norm > 0 and u_norm > 0 else 1.0


class LAMB(Optimizer):
    r"""LAMB (You et al. 2019, arXiv:1904.00962, Algorithm 2, phi = identity).

    Per parameter tensor (a "layer")::

        m, v  = Adam's moments of g
        m_hat = m / (1 - beta1**t);   v_hat = v / (1 - beta2**t)
        u     = m_hat / (sqrt(v_hat) + eps) + weight_decay * p
        r     = ||p|| / ||u||   (1 if either norm is 0)
        p     = p - lr * r * u

    Defaults: ``lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0``.

    PyTorch has no LAMB. The variant choices, which implementations differ on:
    bias correction always on (as the paper, optax, TF-Addons); weight decay
    inside the update, so it is scaled by the trust ratio too; the ratio is
    applied to every tensor, biases included, and is never clipped; no global
    gradient clipping (apex and timm do it first -- use
    ``nn.utils.clip_grad_norm_`` if wanted); norms are accumulated in float64
    on the CPU. It is AdamW-style decay with a per-tensor step size: with r
    forced to 1 it equals AdamW to rounding.
    State per parameter: ``exp_avg``, ``exp_avg_sq``, ``step``; and after
    each step ``opt.state[p]["trust_ratio"]``, the ratio ``r`` that step
    used for ``p`` (a float; computed in float64 on the numpy and cpu
    backends, in the parameter's dtype on cuda). It is a report, not state:
    ``state_dict()`` leaves it out, ``load_state_dict`` accepts it or not.
    """

    kernel = "lamb"
    buffer_names = ("exp_avg", "exp_avg_sq")
    scratch_names = ("update",)  # u between the cpu kernel's two passes
    diagnostics = ("trust_ratio",)
    Coefficients = Coefficients

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6,
                 weight_decay=0.0, *, backend="cpu", on_nonfinite=None):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(
            betas, list) else betas, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults, backend=backend,
                         on_nonfinite=on_nonfinite)

    def _check(self, group):
        _checks.adam_family(group)

    def _buffers(self, group):
        return {"exp_avg": 0.0, "exp_avg_sq": 0.0}

    def _reference(self, p, g, state, group, t):
        beta1, beta2 = group["betas"]
        m, v = update_moments(g, state, beta1, beta2)
        u = lamb_direction(p, m, v, beta1, beta2, group["eps"],
                           group["weight_decay"], t)
        r = trust_ratio(l2_norm(p), l2_norm(u))
        p[...] = p - (group["lr"] * r) * u
        return (r,)

    def _coefficients(self, group, t):
        beta1, beta2 = group["betas"]
        return Coefficients(
            beta1=beta1, one_minus_beta1=1 - beta1, beta2=beta2,
            one_minus_beta2=1 - beta2, bias_correction1=1 - beta1 ** t,
            bias_correction2=1 - beta2 ** t, eps=group["eps"],
            weight_decay=group["weight_decay"], lr=group["lr"], zero=0.0,
            one=1.0)

    def _flags(self, group):
        return ()


# ---- per element, plain Python: compiled into the kernels (kernels/jit.py).
# The moments are Adam's (moments_element); then, per tensor, two passes.
def lamb_direction_element(p, m, v, c):
    """``u = m_hat / (sqrt(v_hat) + eps) + wd * p`` (decay inside the ratio)."""
    m_hat = m / c.bias_correction1
    v_hat = v / c.bias_correction2
    return m_hat / (math.sqrt(v_hat) + c.eps) + c.weight_decay * p


def trust_ratio_element(p_sq, u_sq, zero, one):
    """``r = ||p|| / ||u||`` from the squared norms, or ``one`` if either norm
    is ``zero`` (a new or zero tensor takes the plain step). ``zero`` and
    ``one`` come in the dtype the norms were summed in."""
    p_norm = math.sqrt(p_sq)
    u_norm = math.sqrt(u_sq)
    if p_norm > zero and u_norm > zero:
        return p_norm / u_norm
    return one


def lamb_apply_element(p, u, lr_ratio):
    """``p - lr * r * u``; ``lr_ratio = lr * r`` is formed once per tensor."""
    return p - lr_ratio * u


ELEMENT_FUNCTIONS = (moments_element, lamb_direction_element,
                     trust_ratio_element, lamb_apply_element)
