"""The per-element math of every update rule, written once.

Each function takes and returns plain scalars: one element of the parameter,
its gradient and its state buffers, plus the rule's coefficients. They are
``register_jitable``, so the same source is compiled into the ``@njit`` CPU
kernels (``_cpu.py``) and the ``@cuda.jit`` GPU kernels (``_cuda.py``); only the
loops around them differ.

Two rules keep these functions exact in float32:

* no float literal appears in the arithmetic (``1.0 - b1`` would turn a float32
  kernel into float64 arithmetic on the GPU); every coefficient, including
  ``1 - beta``, is computed on the host once per step and handed in already in
  the parameter's dtype;
* options (``nesterov``, ``amsgrad``, ...) arrive as integers, so testing them
  never converts a float.

The expressions are written in the same order as the NumPy reference of each
rule, so the backends agree to the last bit wherever the hardware rounds the
same way.
"""
import math

from numba.core.extending import register_jitable


@register_jitable
def l2_penalty(g, p, weight_decay, has_weight_decay):
    """L2 weight decay folded into the gradient: ``g + wd * p``."""
    if has_weight_decay:
        return g + weight_decay * p
    return g


@register_jitable
def sgd(p, g, buf, lr, weight_decay, momentum, one_minus_dampening,
        has_weight_decay, has_momentum, first_step, nesterov):
    """``torch.optim.SGD``: the buffer starts as a copy of the first gradient."""
    g = l2_penalty(g, p, weight_decay, has_weight_decay)
    if has_momentum:
        if first_step:
            buf = g
        else:
            buf = momentum * buf + one_minus_dampening * g
        if nesterov:
            g = g + momentum * buf
        else:
            g = buf
    return p - lr * g, buf


@register_jitable
def momentum(p, g, v, lr, weight_decay, beta, one_minus_beta, has_weight_decay):
    """Exponential moving average of gradients: ``v = beta v + (1-beta) g``."""
    g = l2_penalty(g, p, weight_decay, has_weight_decay)
    v = beta * v + one_minus_beta * g
    return p - lr * v, v


@register_jitable
def adagrad(p, g, s, clr, weight_decay, eps, has_weight_decay):
    """Sum of squared gradients; ``clr`` is the decayed rate of this step."""
    g = l2_penalty(g, p, weight_decay, has_weight_decay)
    s = s + g * g
    return p - clr * (g / (math.sqrt(s) + eps)), s


@register_jitable
def rmsprop(p, g, v, gbar, buf, lr, weight_decay, alpha, one_minus_alpha, eps,
            momentum, has_weight_decay, centered, has_momentum):
    """``torch.optim.RMSprop``; eps is added outside the square root."""
    g = l2_penalty(g, p, weight_decay, has_weight_decay)
    v = alpha * v + one_minus_alpha * g * g
    if centered:
        gbar = alpha * gbar + one_minus_alpha * g
        avg = math.sqrt(v - gbar * gbar) + eps
    else:
        avg = math.sqrt(v) + eps
    if has_momentum:
        buf = momentum * buf + g / avg
        return p - lr * buf, v, gbar, buf
    return p - lr * (g / avg), v, gbar, buf


@register_jitable
def adam_moments(g, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2):
    """First and second moment estimates shared by Adam, AdamW and LAMB."""
    m = beta1 * m + one_minus_beta1 * g
    v = beta2 * v + one_minus_beta2 * g * g
    return m, v


@register_jitable
def adam_update(p, g, m, v, vmax, step_size, beta1, one_minus_beta1, beta2,
                one_minus_beta2, eps, sqrt_bias_correction2, amsgrad):
    """The Adam step proper; ``step_size = lr / (1 - beta1**t)``.

    As in PyTorch, eps is added after bias-correcting the root of v:
    ``denom = sqrt(v) / sqrt(1 - beta2**t) + eps``. With amsgrad the running
    maximum of the (uncorrected) v takes its place.
    """
    m, v = adam_moments(g, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2)
    if amsgrad:
        if v > vmax:
            vmax = v
        denom = math.sqrt(vmax) / sqrt_bias_correction2 + eps
    else:
        denom = math.sqrt(v) / sqrt_bias_correction2 + eps
    return p - step_size * (m / denom), m, v, vmax


@register_jitable
def adam(p, g, m, v, vmax, step_size, weight_decay, beta1, one_minus_beta1,
         beta2, one_minus_beta2, eps, sqrt_bias_correction2, has_weight_decay,
         amsgrad):
    """Adam = L2 decay folded into the gradient, then the Adam step."""
    g = l2_penalty(g, p, weight_decay, has_weight_decay)
    return adam_update(p, g, m, v, vmax, step_size, beta1, one_minus_beta1,
                       beta2, one_minus_beta2, eps, sqrt_bias_correction2,
                       amsgrad)


@register_jitable
def adamw(p, g, m, v, vmax, decay, step_size, beta1, one_minus_beta1, beta2,
          one_minus_beta2, eps, sqrt_bias_correction2, amsgrad):
    """AdamW = decoupled decay ``p *= 1 - lr*wd`` first, then the Adam step
    with the raw gradient."""
    return adam_update(p * decay, g, m, v, vmax, step_size, beta1,
                       one_minus_beta1, beta2, one_minus_beta2, eps,
                       sqrt_bias_correction2, amsgrad)


@register_jitable
def lamb_direction(p, m, v, bias_correction1, bias_correction2, eps,
                   weight_decay):
    """LAMB's update before the trust ratio (decay inside the ratio):
    ``u = m_hat / (sqrt(v_hat) + eps) + wd * p``."""
    m_hat = m / bias_correction1
    v_hat = v / bias_correction2
    return m_hat / (math.sqrt(v_hat) + eps) + weight_decay * p


@register_jitable
def trust_ratio(p_sq, u_sq, zero, one):
    """LAMB's trust ratio ``r = ||p|| / ||u||`` from the squared norms, or
    ``one`` if either norm is ``zero`` (a new or zero tensor takes the plain
    step). ``zero`` and ``one`` come in the dtype the norms were summed in."""
    p_norm = math.sqrt(p_sq)
    u_norm = math.sqrt(u_sq)
    if p_norm > zero and u_norm > zero:
        return p_norm / u_norm
    return one


@register_jitable
def lamb_apply(p, u, lr_ratio):
    """LAMB's step ``p - lr * r * u``; ``lr_ratio = lr * r`` is formed once
    per tensor."""
    return p - lr_ratio * u
