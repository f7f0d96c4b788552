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
- ``layers.py``: ``Linear``, ``Sequential``, ``MLP``, ``Dropout``,
  ``Identity``, ``Flatten``, ``Embedding``, activation modules;
- ``normalization.py``: ``BatchNorm1d``, ``LayerNorm`` (one fused op);
- ``functional.py`` (also ``nn.F``): activations, softmax family, dropout,
  embedding; with ``losses.py``: every loss (also as modules:
  ``CrossEntropyLoss``, ...);
- ``init.py``: Kaiming/Xavier and other in-place initialisers;
- ``utils.py``: ``clip_grad_norm_``, ``clip_grad_value_``.
"""
from . import functional, init, utils
from . import functional as F
from .layers import (ELU, GELU, MLP, Dropout, Embedding, Flatten, Identity,
                     LeakyReLU, Linear, LogSoftmax, ReLU, Sequential, Sigmoid,
                     SiLU, Softmax, Softplus, Tanh)
from .losses import (BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss,
                     MSELoss, NLLLoss, SmoothL1Loss)
from .module import Module, Parameter
from .normalization import BatchNorm1d, LayerNorm

__all__ = ["Module", "Parameter", "Linear", "MLP", "Sequential", "ReLU", "Tanh",
           "Sigmoid", "LeakyReLU", "GELU", "SiLU", "ELU", "Softplus", "Softmax",
           "LogSoftmax", "Dropout", "Identity", "Flatten", "Embedding",
           "BatchNorm1d", "LayerNorm", "CrossEntropyLoss", "NLLLoss", "MSELoss",
           "L1Loss", "HuberLoss", "SmoothL1Loss", "BCEWithLogitsLoss",
           "functional", "F", "init", "utils"]
