"""Exercise adam: one Adam step from its pseudocode.

Momentum (m, a running mean of g) divided by RMSProp's running root mean
square (v), both corrected for starting at zero. Weight decay is the L2
term added to g, as in PyTorch's Adam.

Pseudocode of one step (g is the gradient, t the step number: 1 at the first
step; every operation is elementwise on arrays):

    t = t + 1                              (t starts at 0)
    g = g + weight_decay * p
    m = beta1 * m + (1 - beta1) * g        (m, v start at 0)
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    p = p - lr * m_hat / (sqrt(v_hat) + eps)

Write ``adam_step`` so that it does exactly this. Rules of the game:

* ``p`` and ``g`` are NumPy float64 arrays of the same shape; change ``p`` in
  place (``p -= ...`` or ``p[...] = ...``): the caller keeps the same array.
* ``state`` is a dict, empty before the first step and handed back to you at
  every later step: keep your buffers (m, v) and the step count t in it.
* The hyperparameters come as keyword arguments; hard-code no number.

Check:  minigrad exercise check adam
(your steps against minigrad.optim.Adam over 60 steps, two settings)
"""
import numpy as np


def adam_step(p, g, state, lr, beta1, beta2, eps, weight_decay):
    """One Adam step on ``p``, in place."""
    t = state["t"] = state.get("t", 0) + 1
    g = g + weight_decay * p
    m = state.setdefault("m", np.zeros_like(p))
    v = state.setdefault("v", np.zeros_like(p))
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    p -= lr * m_hat / (np.sqrt(v_hat) + eps)
