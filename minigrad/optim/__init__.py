"""Optimizers: seven update rules, each on three backends.

``SGD, Momentum, AdaGrad, RMSProp, Adam, AdamW, LAMB`` take ``params`` (an
iterable of parameters or of param-group dicts), their hyperparameters, and
``backend="cpu"`` (Numba ``@njit``, default), ``"cuda"`` (Numba ``@cuda.jit``)
or ``"numpy"`` (the readable reference), plus ``on_nonfinite=None | "raise" |
"skip"`` to refuse steps on NaN/Inf gradients (``"raise"``: a
``FloatingPointError`` naming the parameter; see ``Optimizer``). See
``docs/kernels.md`` for how one rule's math becomes both kernels. One file
per rule (``sgd.py``, ``momentum.py``, ``adagrad.py``, ``rmsprop.py``,
``adam.py``, ``adamw.py``, ``lamb.py``) holds its math, NumPy reference,
host coefficients and element function; ``kernels/`` holds the machinery.
Importing this package does not import Numba; the kernels are compiled (or
loaded from cache) at the first step.
"""
from .adagrad import AdaGrad
from .adam import Adam
from .adamw import AdamW
from .lamb import LAMB
from .momentum import Momentum
from .optimizer import Optimizer
from .rmsprop import RMSProp
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Momentum", "AdaGrad", "RMSProp", "Adam",
           "AdamW", "LAMB", "lr_scheduler"]


def __getattr__(name):
    if name == "lr_scheduler":
        # import_module, not "from . import": that form looks the name up on
        # this package first, which would call __getattr__ again, forever
        from importlib import import_module

        return import_module(".lr_scheduler", __name__)
    raise AttributeError(f"module 'minigrad.optim' has no attribute {name!r}")
