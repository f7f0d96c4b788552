"""Exercise adamw: one AdamW step from its pseudocode.

Adam with decoupled weight decay: instead of adding weight_decay * p to
g (where Adam's division would rescale it), shrink p directly, first.

Pseudocode of one step (g is the gradient, t the step number: 1 at the first
step; every operation is elementwise on arrays):

    t = t + 1                              (t starts at 0)
    p = p * (1 - lr * weight_decay)        (on the old p, before the rest)
    m = beta1 * m + (1 - beta1) * g        (m, v start at 0; the raw g)
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    p = p - lr * m_hat / (sqrt(v_hat) + eps)

Write ``adamw_step`` so that it does exactly this. Rules of the game:

* ``p`` and ``g`` are NumPy float64 arrays of the same shape; change ``p`` in
  place (``p -= ...`` or ``p[...] = ...``): the caller keeps the same array.
* ``state`` is a dict, empty before the first step and handed back to you at
  every later step: keep your buffers (m, v) and the step count t in it.
* The hyperparameters come as keyword arguments; hard-code no number.

Check:  minigrad exercise check adamw
(your steps against minigrad.optim.AdamW over 60 steps, two settings)
"""
import numpy as np


def adamw_step(p, g, state, lr, beta1, beta2, eps, weight_decay):
    """One AdamW step on ``p``, in place."""
    raise NotImplementedError("write the AdamW step here")
