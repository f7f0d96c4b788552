"""Weight initialisation, in place, drawing from minigrad's generator.

Every function fills ``tensor.data`` in place (so references to the array stay
valid), draws from ``mg.config.rng()`` (``mg.manual_seed`` makes it
repeatable) and returns the tensor.

For a weight of shape ``(out_features, in_features)`` (the ``Linear`` layout),
``fan_in = in_features`` and ``fan_out = out_features``.

- Kaiming/He (He et al. 2015, arXiv:1502.01852): ``std = gain / sqrt(fan_in)``
  keeps the variance of activations constant through ReLU layers
  (``gain = sqrt(2)``).
- Xavier/Glorot (Glorot & Bengio 2010): ``std = gain * sqrt(2 / (fan_in +
  fan_out))`` balances forward and backward variance for tanh/sigmoid layers.

The uniform variants draw from ``U(-b, b)`` with ``b = sqrt(3) * std``, which has
that standard deviation.
"""
import math

import numpy as np

_GAINS = {
    "linear": 1.0,
    "identity": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
}


def _rng():
    from ..config import rng

    return rng()


def calculate_gain(nonlinearity, negative_slope=0.01):
    """The gain for ``nonlinearity`` (as in PyTorch): 1 for linear/sigmoid, 5/3
    for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu."""
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1.0 + negative_slope ** 2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}; expected one of "
                         f"{sorted(_GAINS) + ['leaky_relu']}")
    return _GAINS[nonlinearity]


def fan_in_and_fan_out(shape):
    """``(fan_in, fan_out)`` of a weight of ``shape = (out, in, *kernel)``."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 "
                         f"dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fill(tensor, values):
    data = tensor.data
    if not isinstance(data, np.ndarray) or not np.issubdtype(data.dtype,
                                                             np.floating):
        raise TypeError(f"can only initialise a float Tensor, got "
                        f"{getattr(data, 'dtype', type(data).__name__)}")
    data[...] = values
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with ``U(a, b)``."""
    if not a <= b:
        raise ValueError(f"uniform_ needs a <= b, got a={a}, b={b}")
    return _fill(tensor, _rng().uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with ``N(mean, std^2)``."""
    if not std >= 0:
        raise ValueError(f"std must be >= 0, got {std}")
    return _fill(tensor, _rng().normal(mean, std, size=tensor.shape))


def constant_(tensor, value):
    """Fill ``tensor.data`` with ``value``, in place; returns ``tensor``."""
    return _fill(tensor, value)


def zeros_(tensor):
    """Fill ``tensor.data`` with 0, in place; returns ``tensor``."""
    return _fill(tensor, 0.0)


def ones_(tensor):
    """Fill ``tensor.data`` with 1, in place; returns ``tensor``."""
    return _fill(tensor, 1.0)


def kaiming_normal_(tensor, nonlinearity="relu"):
    """``N(0, std^2)`` with ``std = gain / sqrt(fan_in)``."""
    fan_in, _ = fan_in_and_fan_out(tensor.shape)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity) / math.sqrt(fan_in))


def kaiming_uniform_(tensor, nonlinearity="relu"):
    """``U(-b, b)`` with ``b = gain * sqrt(3 / fan_in)``."""
    fan_in, _ = fan_in_and_fan_out(tensor.shape)
    bound = calculate_gain(nonlinearity) * math.sqrt(3.0 / fan_in)
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """``N(0, std^2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = fan_in_and_fan_out(tensor.shape)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def xavier_uniform_(tensor, gain=1.0):
    """``U(-b, b)`` with ``b = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = fan_in_and_fan_out(tensor.shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)
