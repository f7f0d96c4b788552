"""Neural-network building blocks, PyTorch-style.

    >>> import numpy as np
    >>> import minigrad as mg
    >>> from minigrad import nn
    >>> import minigrad.nn.functional as F
    >>> model = nn.MLP([2, 16, 16, 3])          # Linear-ReLU-Linear-ReLU-Linear
    >>> logits = model(mg.Tensor([[0.5, -1.0]]))
    >>> loss = F.cross_entropy(logits, np.array([2]))

- ``module.py``: ``Module`` (parameter discovery, train/eval, state dicts) and
  ``Parameter``;
- ``layers.py``: ``Linear``, ``Sequential``, ``MLP``, activation modules;
- ``functional.py`` (also ``nn.F``): activations, softmax family, losses;
- ``init.py``: Kaiming/Xavier and other in-place initialisers;
- ``utils.py``: ``clip_grad_norm_``, ``clip_grad_value_``.
"""
from . import functional, init, utils
from . import functional as F
from .layers import MLP, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from .module import Module, Parameter

__all__ = ["Module", "Parameter", "Linear", "MLP", "Sequential", "ReLU", "Tanh",
           "Sigmoid", "LeakyReLU", "functional", "F", "init", "utils"]
