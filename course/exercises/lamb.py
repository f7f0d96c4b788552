"""Exercise lamb: one LAMB step from its pseudocode.

Adam's direction plus decay, rescaled per tensor by a trust ratio: the
step's length becomes lr * ||p||, whatever the size of the gradients.
Here p is one tensor (a layer), so the norms are over all of p.

Pseudocode of one step (g is the gradient, t the step number: 1 at the first
step; every operation is elementwise on arrays):

    t = t + 1                              (t starts at 0)
    m = beta1 * m + (1 - beta1) * g        (m, v start at 0)
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    u = m_hat / (sqrt(v_hat) + eps) + weight_decay * p
    r = ||p|| / ||u||     (Euclidean norms; r = 1 if either norm is 0)
    p = p - lr * r * u

Write ``lamb_step`` so that it does exactly this. Rules of the game:

* ``p`` and ``g`` are NumPy float64 arrays of the same shape; change ``p`` in
  place (``p -= ...`` or ``p[...] = ...``): the caller keeps the same array.
* ``state`` is a dict, empty before the first step and handed back to you at
  every later step: keep your buffers (m, v) and the step count t in it.
* The hyperparameters come as keyword arguments; hard-code no number.

Check:  minigrad exercise check lamb
(your steps against minigrad.optim.LAMB over 60 steps, two settings)
"""
import numpy as np


def lamb_step(p, g, state, lr, beta1, beta2, eps, weight_decay):
    """One LAMB step on ``p``, in place."""
    raise NotImplementedError("write the LAMB step here")
