"""Activations and losses (``import minigrad.nn.functional as F``).

Where composing the engine's ops is exact and stable (``relu``, ``tanh``,
``mse_loss``, ``linear``) we compose them. The softmax family and the two
classification losses are fused ops instead, each a ``Function`` with its
forward and backward side by side: computed naively, ``exp(1000)`` overflows
and ``log(0)`` appears, while the fused forms below stay finite for any finite
logits (value and gradient), and their backward is one short formula.

The stable building block is the shifted log-sum-exp, with ``m = max_j x_j``:

    logsumexp(x) = m + log(sum_j exp(x_j - m))        every exp(...) <= 1
"""
import numbers

import numpy as np

from ..autograd import Function
from ..tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


# ---- argument checks ---------------------------------------------------------
def _tensor(x, name="input"):
    """``x`` as a float Tensor (arrays and numbers are wrapped, not tracked)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{name} must be a float tensor, got dtype {x.dtype}")
    return x


def _axis(axis, ndim):
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for a tensor with {ndim} "
                         f"dimensions")
    return int(axis) % ndim


def _reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got "
                         f"{reduction!r}")
    return reduction


def _like(target, x, name="target"):
    """``target`` as a Tensor of ``x``'s shape and float dtype."""
    if isinstance(target, Tensor) and target.requires_grad:
        if target.dtype != x.dtype:
            raise TypeError(f"{name} has dtype {target.dtype} but the input has "
                            f"{x.dtype}")
    else:
        array = np.asarray(getattr(target, "data", target))
        if array.dtype.kind not in "fiub":
            raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
        target = Tensor(array.astype(x.dtype))
    if target.shape != x.shape:
        raise ValueError(f"{name} has shape {target.shape} but the input has "
                         f"shape {x.shape}; they must match (no broadcasting)")
    return target


def _reduce(values, reduction):
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values


def _unreduce(gy, reduction, shape, dtype):
    """d(reduced)/d(values) * gy, broadcast back to the per-element shape."""
    if reduction == "mean":
        return np.broadcast_to(gy / np.prod(shape, dtype=dtype), shape)
    if reduction == "sum":
        return np.broadcast_to(gy, shape)
    return gy


def _logsumexp(x, axis):
    """Stable log-sum-exp along ``axis``, keeping the axis (size 1)."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # a row of -inf: avoid (-inf) - (-inf)
    return m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def _sigmoid(x):
    """Stable sigmoid: only ever exp of a non-positive number."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


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


# ---- softmax family ----------------------------------------------------------
class LogSumExp(Function):
    """y = log sum_j exp(x_j);    dy/dx_j = exp(x_j - y) = softmax(x)_j."""

    label = "logsumexp"

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        y = _logsumexp(x, self.axis)
        self.softmax = np.exp(x - y)
        return y if self.keepdims else np.squeeze(y, axis=self.axis)

    def backward(self, gy):
        if not self.keepdims:
            gy = np.expand_dims(gy, self.axis)
        return gy * self.softmax


class Softmax(Function):
    """y_i = exp(x_i - logsumexp(x));   dL/dx = y * (gy - sum_j gy_j y_j)."""

    label = "softmax"

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        self.y = np.exp(x - _logsumexp(x, self.axis))
        return self.y

    def backward(self, gy):
        return self.y * (gy - np.sum(gy * self.y, axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """y_i = x_i - logsumexp(x);        dL/dx = gy - softmax(x) * sum_j gy_j."""

    label = "log_softmax"

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        y = x - _logsumexp(x, self.axis)
        self.softmax = np.exp(y)
        return y

    def backward(self, gy):
        return gy - self.softmax * np.sum(gy, axis=self.axis, keepdims=True)


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


# ---- losses ------------------------------------------------------------------
def mse_loss(pred, target, reduction="mean"):
    """Mean (or sum, or none) of ``(pred - target)^2``.

    ``target`` must have ``pred``'s shape: unlike PyTorch (which warns) we
    refuse to broadcast, because ``(N, 1)`` against ``(N,)`` silently gives an
    ``(N, N)`` loss.
    """
    pred = _tensor(pred, "pred")
    target = _like(target, pred)
    diff = pred - target
    return _reduce(diff * diff, _reduction(reduction))


class CrossEntropy(Function):
    """Softmax cross-entropy with integer class targets ``t``, per row ``n``:

        loss_n = logsumexp(z_n) - z_n[t_n]
        d loss_n / d z_n = softmax(z_n) - onehot(t_n)
    """

    label = "cross_entropy"

    def __init__(self, target, reduction):
        self.target, self.reduction = target, reduction

    def forward(self, z):
        rows = np.arange(len(z))
        log_probs = z - _logsumexp(z, axis=1)
        self.probs = np.exp(log_probs)
        losses = -log_probs[rows, self.target]
        return _reduce(losses, self.reduction)

    def backward(self, gy):
        grad = self.probs.copy()
        grad[np.arange(len(grad)), self.target] -= 1
        scale = _unreduce(gy, self.reduction, (len(grad),), grad.dtype)
        return grad * scale[:, None]


def cross_entropy(logits, target, reduction="mean"):
    """Cross-entropy of ``logits`` (shape ``(N, C)``, unnormalised scores)
    against ``target`` (shape ``(N,)``, integer classes in ``[0, C)``), i.e.
    ``-log_softmax(logits)[n, target[n]]`` averaged (or summed) over ``n``.
    Same as ``torch.nn.functional.cross_entropy`` with class-index targets.
    """
    logits = _tensor(logits, "logits")
    if logits.ndim != 2 or logits.shape[0] == 0 or logits.shape[1] == 0:
        raise ValueError(f"logits must have shape (N, C) with N, C >= 1, got "
                         f"{logits.shape}")
    t = np.asarray(getattr(target, "data", target))
    if t.dtype.kind not in "iu":
        raise TypeError(f"target must hold integer class indices, got dtype "
                        f"{t.dtype} (for probabilities/0-1 labels see "
                        f"binary_cross_entropy_with_logits)")
    n, c = logits.shape
    if t.shape != (n,):
        raise ValueError(f"target must have shape ({n},) to match logits "
                         f"{logits.shape}, got {t.shape}")
    if t.min() < 0 or t.max() >= c:
        raise ValueError(f"target values must lie in [0, {c}) for {c} classes, "
                         f"got min {t.min()} and max {t.max()}")
    return CrossEntropy(t.astype(np.intp), _reduction(reduction))(logits)


class BCEWithLogits(Function):
    """Binary cross-entropy of sigmoid(z) against t, in the stable form

        loss = max(z, 0) - z * t + log(1 + exp(-|z|))
        d loss/dz = sigmoid(z) - t,     d loss/dt = -z
    """

    label = "bce_with_logits"

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, z, t):
        self.z, self.t = z, t
        losses = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
        return _reduce(losses, self.reduction)

    def backward(self, gy):
        scale = _unreduce(gy, self.reduction, self.z.shape, self.z.dtype)
        return (_sigmoid(self.z) - self.t) * scale, -self.z * scale


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """Binary cross-entropy between ``sigmoid(logits)`` and ``target`` (same
    shape, values in [0, 1]; integer 0/1 labels are converted to floats), as
    ``torch.nn.functional.binary_cross_entropy_with_logits`` (no weights)."""
    logits = _tensor(logits, "logits")
    if logits.size == 0:
        raise ValueError(f"logits is empty (shape {logits.shape})")
    target = _like(target, logits)
    return BCEWithLogits(_reduction(reduction))(logits, target)


# ---- layers as functions -------------------------------------------------------
def linear(x, weight, bias=None):
    """``x @ weight.T + bias`` with ``weight`` of shape ``(out, in)``."""
    x = _tensor(x)
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit a weight "
                         f"of shape {weight.shape} (expected (..., "
                         f"{weight.shape[1]}))")
    if x.dtype != weight.dtype:
        raise TypeError(f"linear: input is {x.dtype} but the weight is "
                        f"{weight.dtype}; convert the input (x.astype(...)) or "
                        f"build the layer with dtype={x.dtype}")
    y = x @ weight.T
    return y if bias is None else y + bias
