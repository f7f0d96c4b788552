"""Exercise rmsprop: one RMSProp step from its pseudocode.

AdaGrad's sum never forgets; RMSProp divides by a running average of
the squared gradients instead, so the step size can recover.

Pseudocode of one step (g is the gradient, t the step number: 1 at the first
step; every operation is elementwise on arrays):

    g = g + weight_decay * p
    v = alpha * v + (1 - alpha) * g * g    (v starts at 0)
    p = p - lr * g / (sqrt(v) + eps)

Write ``rmsprop_step`` so that it does exactly this. Rules of the game:

* ``p`` and ``g`` are NumPy float64 arrays of the same shape; change ``p`` in
  place (``p -= ...`` or ``p[...] = ...``): the caller keeps the same array.
* ``state`` is a dict, empty before the first step and handed back to you at
  every later step: keep your buffers (the average v) in it.
* The hyperparameters come as keyword arguments; hard-code no number.

Check:  minigrad exercise check rmsprop
(your steps against minigrad.optim.RMSProp over 60 steps, two settings)
"""
import numpy as np


def rmsprop_step(p, g, state, lr, alpha, eps, weight_decay):
    """One RMSProp step on ``p``, in place."""
    g = g + weight_decay * p
    v = state.setdefault("v", np.zeros_like(p))
    v[...] = alpha * v + (1 - alpha) * g * g
    p -= lr * g / (np.sqrt(v) + eps)
