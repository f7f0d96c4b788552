"""LAMB: Adam's direction plus decay, scaled per tensor by a trust ratio."""
from collections import namedtuple
import math

import numpy as np

from . import _checks
from .adam import moments_element, update_moments
from .optimizer import Optimizer

__all__ = ["LAMB"]

# bias_correction1 = 1 - beta1**t (and 2); clip_low, clip_high: phi's
# (gamma_l, gamma_u) (0 when there is no clip); zero and one in the
# parameter dtype, for the trust ratio's "1 if a norm is 0" on the GPU
Coefficients = namedtuple(
    "LAMBCoefficients", "beta1 one_minus_beta1 beta2 one_minus_beta2 "
    "bias_correction1 bias_correction2 eps weight_decay lr clip_low clip_high "
    "zero one")


def lamb_direction(p, m, v, beta1, beta2, eps, weight_decay, t):
    """``u = m_hat / (sqrt(v_hat) + eps) + wd * p`` (decay inside the ratio)."""
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return m_hat / (np.sqrt(v_hat) + eps) + weight_decay * p


def l2_norm(x):
    """Euclidean norm accumulated in float64 (as the kernels do)."""
    return math.sqrt(np.sum(np.square(x, dtype=np.float64)))


def trust_ratio(p_norm, u_norm, clip=None):
    """``phi(||p||) / ||u||``, or 1 when either is 0; ``phi`` is the identity,
    or with ``clip = (gamma_l, gamma_u)`` the paper's
    ``phi(z) = min(max(z, gamma_l), gamma_u)``."""
    if clip is not None:
        p_norm = min(max(p_norm, clip[0]), clip[1])
    return p_norm / u_norm if p_norm > 0 and u_norm > 0 else 1.0


class LAMB(Optimizer):
    r"""LAMB (You et al. 2019, arXiv:1904.00962, Algorithm 2).

    Per parameter tensor (a "layer")::

        m, v  = Adam's moments of g
        m_hat = m / (1 - beta1**t);   v_hat = v / (1 - beta2**t)
        u     = m_hat / (sqrt(v_hat) + eps) + weight_decay * p
        r     = phi(||p||) / ||u||   (1 if either is 0; 1 if not adapt)
        p     = p - lr * r * u

    Defaults: ``lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0,
    clip=None, adapt=True`` -- the paper's Algorithm 2 with phi = identity.
    Options, each per param group, each the paper's behaviour by default:

    * ``clip=(gamma_l, gamma_u)``: phi(z) = min(max(z, gamma_l), gamma_u),
      the clip the paper suggests for phi (Sec. 3), bounding the step of a
      layer whose weights are tiny or huge. optax, apex, timm and TF-Addons
      have no such clip (timm's ``trust_clip`` caps the ratio ``r`` at 1,
      a different thing). ``None``: phi is the identity.
    * ``adapt=False``: r = 1 for the group -- an AdamW-like step with the
      decay inside ``u``. apex's ``FusedLAMB`` (``use_nvlamb=False``) and
      timm's ``Lamb`` (``always_adapt=False``) do this by default for groups
      with ``weight_decay == 0`` (biases, norms); TF-Addons names the tensors
      (``exclude_from_layer_adaptation``). The paper adapts every tensor.
    * exclusion from weight decay is a group with ``weight_decay=0`` (optax's
      ``mask``, TF-Addons' ``exclude_from_weight_decay``), e.g.
      ``LAMB([{"params": weights, "weight_decay": 0.01},
      {"params": biases, "weight_decay": 0.0, "adapt": False}])``.

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

    # options added after state dicts were first saved: a saved group
    # without them loads with these (the paper's behaviour)
    added_options = {"clip": None, "adapt": True}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6,
                 weight_decay=0.0, clip=None, adapt=True, *, backend="cpu",
                 on_nonfinite=None):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(
            betas, list) else betas, eps=eps, weight_decay=weight_decay,
            clip=tuple(clip) if isinstance(clip, list) else clip, adapt=adapt)
        super().__init__(params, defaults, backend=backend,
                         on_nonfinite=on_nonfinite)

    def _check(self, group):
        _checks.adam_family(group)
        _checks.flag("adapt", group["adapt"])
        clip = group["clip"]
        if clip is not None:
            if not isinstance(clip, (tuple, list)) or len(clip) != 2:
                raise ValueError(f"Invalid clip: {clip!r} (expected None or a "
                                 "pair (gamma_l, gamma_u))")
            low = _checks.real("clip gamma_l", clip[0])
            if _checks.real("clip gamma_u", clip[1]) < low:
                raise ValueError(f"Invalid clip: {clip!r} (expected gamma_l <= "
                                 "gamma_u)")

    def _buffers(self, group):
        return {"exp_avg": 0.0, "exp_avg_sq": 0.0}

    def _reference(self, p, g, state, group, t):
        beta1, beta2 = group["betas"]
        m, v = update_moments(g, state, beta1, beta2)
        u = lamb_direction(p, m, v, beta1, beta2, group["eps"],
                           group["weight_decay"], t)
        r = (trust_ratio(l2_norm(p), l2_norm(u), group["clip"])
             if group["adapt"] else 1.0)
        p[...] = p - (group["lr"] * r) * u
        return (r,)

    def _coefficients(self, group, t):
        beta1, beta2 = group["betas"]
        clip_low, clip_high = group["clip"] or (0.0, 0.0)
        return Coefficients(
            beta1=beta1, one_minus_beta1=1 - beta1, beta2=beta2,
            one_minus_beta2=1 - beta2, bias_correction1=1 - beta1 ** t,
            bias_correction2=1 - beta2 ** t, eps=group["eps"],
            weight_decay=group["weight_decay"], lr=group["lr"],
            clip_low=clip_low, clip_high=clip_high, zero=0.0, one=1.0)

    def _flags(self, group):
        return (int(group["clip"] is not None), int(group["adapt"]))


# ---- per element, plain Python: compiled into the kernels (kernels/jit.py).
# The moments are Adam's (moments_element); then, per tensor, two passes.
def lamb_direction_element(p, m, v, c):
    """``u = m_hat / (sqrt(v_hat) + eps) + wd * p`` (decay inside the ratio)."""
    m_hat = m / c.bias_correction1
    v_hat = v / c.bias_correction2
    return m_hat / (math.sqrt(v_hat) + c.eps) + c.weight_decay * p


def trust_ratio_element(p_sq, u_sq, c, zero, one, has_clip, adapt):
    """``r = phi(||p||) / ||u||`` from the squared norms, or ``one`` if either
    is ``zero`` (a new or zero tensor takes the plain step) or the group does
    not adapt. ``zero``, ``one`` and ``c``'s clip come in the dtype the norms
    were summed in."""
    if not adapt:
        return one
    p_norm = math.sqrt(p_sq)
    if has_clip:
        p_norm = min(max(p_norm, c.clip_low), c.clip_high)
    u_norm = math.sqrt(u_sq)
    if p_norm > zero and u_norm > zero:
        return p_norm / u_norm
    return one


def lamb_apply_element(p, u, lr_ratio):
    """``p - lr * r * u``; ``lr_ratio = lr * r`` is formed once per tensor."""
    return p - lr_ratio * u


ELEMENT_FUNCTIONS = (moments_element, lamb_direction_element,
                     trust_ratio_element, lamb_apply_element)
