"""Exercise momentum: one Momentum step from its pseudocode.

Gradient descent on a running average of the gradients (the "EMA form"
of momentum): noise across steps cancels, a steady direction remains.

Pseudocode of one step (g is the gradient, t the step number: 1 at the first
step; every operation is elementwise on arrays):

    g = g + weight_decay * p
    v = beta * v + (1 - beta) * g          (v starts at 0)
    p = p - lr * v

Write ``momentum_step`` so that it does exactly this. Rules of the game:

* ``p`` and ``g`` are NumPy float64 arrays of the same shape; change ``p`` in
  place (``p -= ...`` or ``p[...] = ...``): the caller keeps the same array.
* ``state`` is a dict, empty before the first step and handed back to you at
  every later step: keep your buffers (the velocity v) in it.
* The hyperparameters come as keyword arguments; hard-code no number.

Check:  minigrad exercise check momentum
(your steps against minigrad.optim.Momentum over 60 steps, two settings)
"""
import numpy as np


def momentum_step(p, g, state, lr, beta, weight_decay):
    """One Momentum step on ``p``, in place."""
    raise NotImplementedError("write the Momentum step here")
