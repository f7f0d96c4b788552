"""minigrad: a small reverse-mode autograd engine on NumPy, MLP layers, and
seven optimizers (SGD, Momentum, AdaGrad, RMSProp, Adam, AdamW, LAMB), each a
NumPy reference, a Numba CPU kernel and a Numba CUDA kernel.

    >>> import minigrad as mg
    >>> x = mg.Tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([2., 4.], dtype=float32)

Names are resolved lazily (PEP 562) so that ``import minigrad`` stays fast:
nothing heavier than NumPy is imported until it is used.
"""
from importlib import import_module

__version__ = "0.1.0"

# public name -> module that defines it (relative to this package)
_EXPORTS = {
    "Tensor": ".tensor",
    "no_grad": ".autograd",
    "enable_grad": ".autograd",
    "is_grad_enabled": ".autograd",
    "detect_anomaly": ".autograd",
    "AnomalyError": ".autograd",
    "get_default_dtype": ".config",
    "set_default_dtype": ".config",
    "manual_seed": ".config",
    "gradcheck": ".gradient_check",
    "numerical_grad": ".gradient_check",
    "gradcheck_module": ".gradient_check",
    "GradcheckError": ".gradient_check",
    "check_backward": ".testing",
    "draw_graph": ".viz.graph",
    "retain_grads": ".viz.graph",
    "save": ".serialization",
    "load": ".serialization",
    "CheckpointError": ".serialization",
    "snapshot": ".checkpoint",
    "grad": ".backward",
    "jacobian": ".higher_order",
    "hessian": ".higher_order",
    "hvp": ".higher_order",
    "vhp": ".higher_order",
    "gradgradcheck": ".higher_order",
    "restore": ".checkpoint",
}
for _name in (
    "exp log sqrt abs tanh sigmoid relu sum mean max min reshape transpose "
    "clip concatenate stack where maximum minimum"
).split():
    _EXPORTS[_name] = ".functions"

_SUBMODULES = ("nn", "optim", "data", "viz", "cli", "testing")

__all__ = sorted(_EXPORTS) + list(_SUBMODULES)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name], __name__), name)
    elif name in _SUBMODULES:
        value = import_module("." + name, __name__)
    else:
        raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
    globals()[name] = value  # cache: later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))

