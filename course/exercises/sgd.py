"""Exercise sgd: one SGD step from its pseudocode.

Plain gradient descent: a step against the gradient, scaled by the
learning rate. Weight decay adds an L2 penalty (weight_decay/2) ||p||^2 to
the loss, so its gradient weight_decay * p joins g.

Pseudocode of one step (g is the gradient, t the step number: 1 at the first
step; every operation is elementwise on arrays):

    g = g + weight_decay * p
    p = p - lr * g

Write ``sgd_step`` so that it does exactly this. Rules of the game:

* ``p`` and ``g`` are NumPy float64 arrays of the same shape; change ``p`` in
  place (``p -= ...`` or ``p[...] = ...``): the caller keeps the same array.
* ``state`` is a dict, empty before the first step and handed back to you at
  every later step: keep your buffers in it.
* The hyperparameters come as keyword arguments; hard-code no number.

Check:  minigrad exercise check sgd
(your steps against minigrad.optim.SGD over 60 steps, two settings)
"""
import numpy as np


def sgd_step(p, g, state, lr, weight_decay):
    """One SGD step on ``p``, in place."""
    raise NotImplementedError("write the SGD step here")
