"""Layers: ``Linear``, ``Sequential``, ``MLP`` and activation modules."""
import numbers

import numpy as np

from . import functional as F
from . import init
from .module import Module, Parameter


def _check_size(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def _float_dtype(dtype):
    from ..config import get_default_dtype

    dt = np.dtype(get_default_dtype() if dtype is None else dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


class Linear(Module):
    """An affine map ``y = x @ W.T + b``.

    - ``weight``: shape ``(out_features, in_features)``, PyTorch's layout (row
      ``j`` holds the weights into output ``j``); ``bias``: shape
      ``(out_features,)``, or None with ``bias=False``.
    - ``x`` has shape ``(..., in_features)``; ``y`` has ``(..., out_features)``.
    - Init (``init="kaiming"``, default): ``W ~ U(-b, b)`` with
      ``b = sqrt(6 / in_features)`` (He et al. 2015, arXiv:1502.01852; the
      right scale for ReLU), bias zero. ``init="xavier"``: ``b = sqrt(6 /
      (in + out))`` (Glorot & Bengio 2010; for tanh/sigmoid). Draws from
      ``mg.manual_seed``'s generator. PyTorch differs: its default is
      ``U(-1/sqrt(in), 1/sqrt(in))`` for both weight and bias.
    - ``dtype``: float32 or float64 (default: ``mg.get_default_dtype()``).
    """

    def __init__(self, in_features, out_features, bias=True, init="kaiming",
                 dtype=None):
        self.in_features = _check_size("in_features", in_features)
        self.out_features = _check_size("out_features", out_features)
        dtype = _float_dtype(dtype)
        self.weight = Parameter(np.zeros((self.out_features, self.in_features),
                                         dtype=dtype))
        self.bias = Parameter(np.zeros(self.out_features, dtype=dtype)) \
            if bias else None
        self.init_scheme = init
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the weight again as described above; zero the bias."""
        if self.init_scheme == "kaiming":
            init.kaiming_uniform_(self.weight, nonlinearity="relu")
        elif self.init_scheme == "xavier":
            init.xavier_uniform_(self.weight)
        else:
            raise ValueError(f"init must be 'kaiming' or 'xavier', got "
                             f"{self.init_scheme!r}")
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features="
                f"{self.out_features}, bias={self.bias is not None}")


class Sequential(Module):
    """Apply modules one after the other: ``Sequential(a, b)(x) == b(a(x))``.

    Submodules are named ``"0", "1", ...`` (as in PyTorch), so parameters are
    ``"0.weight"``, ``"0.bias"``, ...; supports ``len``, indexing and iteration.
    """

    def __init__(self, *modules):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules, argument {i} is "
                                f"{type(m).__name__}")
        self.layers = list(modules)

    def _children_and_params(self):
        for i, module in enumerate(self.layers):
            yield str(i), module
        for name, value in super()._children_and_params():  # subclass extras
            if not name.startswith("layers."):
                yield name, value

    def forward(self, x):
        for module in self.layers:
            x = module(x)
        return x

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"Sequential takes Modules, got {type(module).__name__}")
        self.layers.append(module)
        return self


class ReLU(Module):
    """``max(x, 0)`` elementwise."""

    def forward(self, x):
        return F.relu(x)


class Tanh(Module):
    """``tanh(x)`` elementwise."""

    def forward(self, x):
        return F.tanh(x)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` elementwise."""

    def forward(self, x):
        return F.sigmoid(x)


class LeakyReLU(Module):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise."""

    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid,
                "leaky_relu": LeakyReLU}
_INIT_FOR = {"relu": "kaiming", "leaky_relu": "kaiming", "tanh": "xavier",
             "sigmoid": "xavier"}


class MLP(Sequential):
    """A multi-layer perceptron: ``Linear`` layers with an activation between
    them and none after the last, e.g. ``MLP([2, 16, 16, 1])`` is
    ``Linear(2,16) act Linear(16,16) act Linear(16,1)``.

    ``activation`` is ``"relu"`` (default), ``"tanh"``, ``"sigmoid"`` or
    ``"leaky_relu"``; the Linear layers use the matching init (Kaiming for the
    ReLUs, Xavier for tanh/sigmoid). Parameters are named as in the equivalent
    ``Sequential``: ``"0.weight"``, ``"2.weight"``, ...
    """

    def __init__(self, sizes, activation="relu", bias=True, dtype=None):
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
            raise TypeError(f"sizes must be a list of layer widths, got {sizes!r}")
        sizes = [_check_size(f"sizes[{i}]", s) for i, s in enumerate(sizes)]
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least an input and an output width, "
                             f"got {sizes}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of "
                             f"{sorted(_ACTIVATIONS)}")
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            layers.append(Linear(n_in, n_out, bias=bias,
                                 init=_INIT_FOR[activation], dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(_ACTIVATIONS[activation]())
        super().__init__(*layers)
        self.sizes, self.activation = sizes, activation

    def extra_repr(self):
        return f"sizes={self.sizes}, activation={self.activation!r}"
