"""Exercise adagrad: one AdaGrad step from its pseudocode.

Each coordinate gets its own step size: lr divided by the root of the
sum of all its squared gradients so far. Coordinates with big gradients
slow down, rare ones keep large steps.

Pseudocode of one step (g is the gradient, t the step number: 1 at the first
step; every operation is elementwise on arrays):

    g = g + weight_decay * p
    s = s + g * g                          (s starts at 0)
    p = p - lr * g / (sqrt(s) + eps)

Write ``adagrad_step`` so that it does exactly this. Rules of the game:

* ``p`` and ``g`` are NumPy float64 arrays of the same shape; change ``p`` in
  place (``p -= ...`` or ``p[...] = ...``): the caller keeps the same array.
* ``state`` is a dict, empty before the first step and handed back to you at
  every later step: keep your buffers (the sum s) in it.
* The hyperparameters come as keyword arguments; hard-code no number.

Check:  minigrad exercise check adagrad
(your steps against minigrad.optim.AdaGrad over 60 steps, two settings)
"""
import numpy as np


def adagrad_step(p, g, state, lr, eps, weight_decay):
    """One AdaGrad step on ``p``, in place."""
    raise NotImplementedError("write the AdaGrad step here")
