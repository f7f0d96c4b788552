"""Activations, dropout, embedding, the softmax family, and (from
``losses.py`` and ``normalization.py``) the losses, ``batch_norm`` and
``layer_norm``: everything as functions (``import minigrad.nn.functional as
F``).

Where composing the engine's ops is exact and stable (``relu``, ``tanh``,
``mse_loss``, ``linear``) we compose them. The softmax family and the two
classification losses are fused ops instead, each a ``Function`` with its
forward and backward side by side: computed naively, ``exp(1000)`` overflows
and ``log(0)`` appears, while the fused forms below stay finite for any finite
logits (value and gradient), and their backward is one short formula.

The stable building block is the shifted log-sum-exp, with ``m = max_j x_j``:

    logsumexp(x) = m + log(sum_j exp(x_j - m))        every exp(...) <= 1
"""
import math
import numbers

import numpy as np

from ..autograd import Function
from ..ops_matmul import Linear as LinearOp
from ..tensor import Tensor
from ._util import _axis, _logsumexp, _sigmoid, _tensor
from .losses import (binary_cross_entropy_with_logits, cross_entropy, huber_loss,
                     l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from .normalization import batch_norm, layer_norm

__all__ = ["relu", "sigmoid", "tanh", "leaky_relu", "gelu", "silu", "elu",
           "softplus", "softmax", "log_softmax", "logsumexp", "linear",
           "dropout", "embedding", "batch_norm", "layer_norm", "mse_loss",
           "l1_loss", "huber_loss", "smooth_l1_loss", "cross_entropy",
           "nll_loss", "binary_cross_entropy_with_logits"]

# ---- activations -------------------------------------------------------------
def relu(x):
    """``max(x, 0)``; gradient 1 where x > 0, else 0."""
    return _tensor(x).relu()


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return _tensor(x).sigmoid()


def tanh(x):
    """``(e^x - e^-x) / (e^x + e^-x)``."""
    return _tensor(x).tanh()


class LeakyReLU(Function):
    """y = x if x > 0 else slope * x;    dy/dx = 1 if x > 0 else slope."""

    label = "leaky_relu"
    differentiable_backward = True  # gy times a constant (no x in it)

    def __init__(self, negative_slope):
        self.slope = negative_slope

    def forward(self, x):
        self.positive = x > 0
        return np.where(self.positive, x, self.slope * x)

    def backward(self, gy):
        return gy * np.where(self.positive, 1, self.slope).astype(gy.dtype)


def leaky_relu(x, negative_slope=0.01):
    """``x`` if x > 0 else ``negative_slope * x`` (default 0.01)."""
    if isinstance(negative_slope, bool) or not isinstance(negative_slope,
                                                          numbers.Real):
        raise TypeError(f"negative_slope must be a number, got {negative_slope!r}")
    if not np.isfinite(negative_slope):
        raise ValueError(f"negative_slope must be finite, got {negative_slope}")
    return LeakyReLU(float(negative_slope))(_tensor(x))


class GELU(Function):
    """Gaussian error linear unit (Hendrycks & Gimpel 2016, arXiv:1606.08415),
    with ``Phi``/``phi`` the standard normal CDF/density:

        exact:  y = x * Phi(x),   dy/dx = Phi(x) + x * phi(x)
        tanh:   u = sqrt(2/pi) * (x + 0.044715 x^3),  y = x (1 + tanh u) / 2
                dy/dx = (1 + tanh u) / 2
                        + x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2
    """

    label = "gelu"

    def __init__(self, approximate):
        self.approximate = approximate

    def forward(self, x):
        self.x = x
        if self.approximate == "tanh":
            self.t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
            return 0.5 * x * (1 + self.t)
        self.cdf = (0.5 * (1 + _erf(x / math.sqrt(2.0)))).astype(x.dtype)
        return x * self.cdf

    def backward(self, gy):
        x = self.x
        if self.approximate == "tanh":
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return gy * (0.5 * (1 + self.t) + 0.5 * x * (1 - self.t ** 2) * du)
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return gy * (self.cdf + x * pdf)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
# NumPy has no erf: math.erf per element (exact, but slower than the other
# activations; approximate="tanh" is all NumPy)
_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x, approximate="none"):
    """``x * Phi(x)`` (``approximate="none"``, default) or its tanh form
    (``"tanh"``), as ``torch.nn.functional.gelu``; see ``GELU``."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got "
                         f"{approximate!r}")
    return GELU(approximate)(_tensor(x))


class SiLU(Function):
    """Sigmoid-weighted linear unit, also called swish (Elfwing et al. 2017,
    arXiv:1702.03118):  y = x * s,  s = sigmoid(x);  dy/dx = s (1 + x (1 - s))."""

    label = "silu"

    def forward(self, x):
        self.x, self.s = x, _sigmoid(x)
        return x * self.s

    def backward(self, gy):
        s = self.s
        return gy * s * (1 + self.x * (1 - s))


def silu(x):
    """``x * sigmoid(x)``; see ``SiLU``."""
    return SiLU()(_tensor(x))


class ELU(Function):
    """Exponential linear unit (Clevert et al. 2015, arXiv:1511.07289):

        y = x if x > 0 else alpha * (exp(x) - 1)
        dy/dx = 1 if x > 0 else alpha * exp(x)
    """

    label = "elu"

    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        self.positive = x > 0
        self.neg = self.alpha * np.exp(np.minimum(x, 0))  # alpha e^x, no overflow
        return np.where(self.positive, x, self.neg - self.alpha)

    def backward(self, gy):
        return gy * np.where(self.positive, 1, self.neg).astype(gy.dtype)


def elu(x, alpha=1.0):
    """``x`` if x > 0 else ``alpha * (exp(x) - 1)``; see ``ELU``."""
    return ELU(_real("alpha", alpha))(_tensor(x))


class Softplus(Function):
    """A smooth ReLU, as ``torch.nn.Softplus`` (linear above ``threshold``):

        y = log(1 + exp(beta x)) / beta  if beta x <= threshold, else x
        dy/dx = sigmoid(beta x)          if beta x <= threshold, else 1
    """

    label = "softplus"

    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        bx = self.beta * x
        self.linear = bx > self.threshold
        self.s = _sigmoid(bx)
        smooth = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / self.beta
        return np.where(self.linear, x, smooth)

    def backward(self, gy):
        return gy * np.where(self.linear, 1, self.s).astype(gy.dtype)


def softplus(x, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta x)) / beta`` (``x`` where ``beta x > threshold``)."""
    beta = _real("beta", beta)
    if beta == 0:
        raise ValueError("beta must be non-zero")
    return Softplus(beta, _real("threshold", threshold))(_tensor(x))


def _real(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


# ---- softmax family ----------------------------------------------------------
def _softmax_of_input(fn):
    """softmax(x) of ``fn``'s input: the array saved by the forward, or under
    create_graph (``fn.args`` are Tensors) the Softmax op on the input, so
    that the second derivative flows through it."""
    x = fn.args[0]
    return Softmax(fn.axis)(x) if isinstance(x, Tensor) else fn.softmax


class LogSumExp(Function):
    """y = log sum_j exp(x_j);    dy/dx_j = exp(x_j - y) = softmax(x)_j."""

    label = "logsumexp"
    differentiable_backward = True  # see _softmax_of_input

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        y = _logsumexp(x, self.axis)
        self.softmax = np.exp(x - y)
        return y if self.keepdims else np.squeeze(y, axis=self.axis)

    def backward(self, gy):
        if not self.keepdims:  # put the summed axis back (length 1)
            shape = list(self.args[0].shape)
            shape[self.axis] = 1
            gy = gy.reshape(tuple(shape))
        return gy * _softmax_of_input(self)


class Softmax(Function):
    """y_i = exp(x_i - logsumexp(x));   dL/dx = y * (gy - sum_j gy_j y_j)."""

    label = "softmax"
    differentiable_backward = True  # reads self.out, sums with .sum

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return np.exp(x - _logsumexp(x, self.axis))

    def backward(self, gy):
        y = self.out
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """y_i = x_i - logsumexp(x);        dL/dx = gy - softmax(x) * sum_j gy_j."""

    label = "log_softmax"
    differentiable_backward = True  # see _softmax_of_input

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        y = x - _logsumexp(x, self.axis)
        self.softmax = np.exp(y)
        return y

    def backward(self, gy):
        return gy - _softmax_of_input(self) * gy.sum(axis=self.axis, keepdims=True)


def logsumexp(x, axis=-1, keepdims=False):
    """``log(sum(exp(x), axis))``, computed without overflow."""
    x = _tensor(x)
    return LogSumExp(_axis(axis, x.ndim), bool(keepdims))(x)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x), axis)``: non-negative, sums to 1 along ``axis``."""
    x = _tensor(x)
    return Softmax(_axis(axis, x.ndim))(x)


def log_softmax(x, axis=-1):
    """``log(softmax(x))``, computed as ``x - logsumexp(x)`` (never log(0))."""
    x = _tensor(x)
    return LogSoftmax(_axis(axis, x.ndim))(x)


# ---- layers as functions -------------------------------------------------------
def linear(x, weight, bias=None):
    """``x @ weight.T + bias`` with ``weight`` of shape ``(out, in)``, as one
    op (``ops_matmul.Linear``; a bias of another shape than ``(out,)`` is
    added after it, broadcasting)."""
    x = _tensor(x)
    weight = _tensor(weight, "weight")
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit a weight "
                         f"of shape {weight.shape} (expected a 2-D weight and "
                         f"an input of shape (..., {weight.shape[-1]}))")
    if x.dtype != weight.dtype:
        raise TypeError(f"linear: input is {x.dtype} but the weight is "
                        f"{weight.dtype}; convert the input (x.astype(...)) or "
                        f"build the layer with dtype={x.dtype}")
    if bias is None:
        return LinearOp()(x, weight)
    bias = _tensor(bias, "bias")
    if bias.shape == (weight.shape[0],) and bias.dtype == x.dtype:
        return LinearOp()(x, weight, bias)
    return LinearOp()(x, weight) + bias


class Dropout(Function):
    """Inverted dropout (Srivastava et al. 2014): keep each value with
    probability ``1 - p`` and scale the kept ones by ``1 / (1 - p)``, so the
    expected output is the input:

        y = x * mask / (1 - p),   dy/dx = mask / (1 - p),   mask ~ Bernoulli(1-p)
    """

    label = "dropout"
    differentiable_backward = True  # gy times a constant (no x in it)

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        from ..config import rng  # minigrad's generator: mg.manual_seed

        keep = rng().random(x.shape) >= self.p
        self.scale = keep.astype(x.dtype) / x.dtype.type(1 - self.p) \
            if self.p < 1 else np.zeros_like(x)
        return x * self.scale

    def backward(self, gy):
        return gy * self.scale


def dropout(x, p=0.5, training=True):
    """Zero each value with probability ``p`` and scale the rest by
    ``1 / (1 - p)`` (``training=True``); the identity when ``training`` is
    False or ``p == 0``. The mask is drawn from minigrad's generator, so
    ``mg.manual_seed`` repeats it (PyTorch's masks are other draws)."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or \
            not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p!r}")
    x = _tensor(x)
    if not training or p == 0:
        return x
    return Dropout(float(p))(x)


class Embedding(Function):
    """Row lookup ``y[..., :] = W[idx[...], :]``; the gradient adds each
    output row back into the row it came from (rows picked twice get both):

        dL/dW[i] = sum over positions k with idx[k] == i of dL/dy[k]

    except the ``padding_idx`` row, whose gradient is 0 (as PyTorch).
    """

    label = "embedding"

    def __init__(self, indices, padding_idx):
        self.indices, self.padding_idx = indices, padding_idx

    def forward(self, weight):
        self.weight_shape = weight.shape
        return weight[self.indices]

    def backward(self, gy):
        gw = np.zeros(self.weight_shape, dtype=gy.dtype)
        np.add.at(gw, self.indices, gy)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw


def embedding(indices, weight, padding_idx=None):
    """Rows of ``weight`` (num_embeddings, dim) picked by integer ``indices``
    of any shape; the result has shape ``indices.shape + (dim,)``."""
    idx = np.asarray(getattr(indices, "data", indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding indices must be integers, got dtype "
                        f"{idx.dtype}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"embedding indices must lie in [0, {n}), got min "
                         f"{idx.min()} and max {idx.max()}")
    return Embedding(idx.astype(np.intp), padding_idx)(weight)
