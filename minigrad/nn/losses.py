"""Losses (also reachable as ``F.<name>``): regression (``mse_loss``,
``l1_loss``, ``huber_loss``, ``smooth_l1_loss``) and classification
(``cross_entropy``, ``nll_loss``, ``binary_cross_entropy_with_logits``).

Every loss takes ``reduction``: ``"mean"`` (default), ``"sum"`` or ``"none"``
(the per-element, or per-row, losses). As in PyTorch, a weighted or
``ignore_index`` classification loss's mean divides by the sum of the weights
of the rows it counts, not by N.

The two class-index losses share one form. Write the target of row ``n`` as
a distribution-like row ``q_n`` over the C classes (for ``nll_loss``,
``q_nc = w[t_n] * [c == t_n]``; ``cross_entropy`` adds label smoothing); then

    loss_n = -sum_c q_nc * logp_nc

with ``logp`` the log-probabilities (given to ``nll_loss``; for
``cross_entropy``, ``log_softmax(z)``, fused into one stable op).

Each also exists as a module (``CrossEntropyLoss()``, ``MSELoss()``, ...)
holding its options, as in PyTorch.
"""
import numbers

import numpy as np

from ..autograd import Function
from ..ops_math import Sigmoid
from ..tensor import Tensor
from ._util import (_like, _reduce, _reduction, _sigmoid, _tensor,
                    _unreduce)
from .module import Module


def _scale(gy, reduction, denominator):
    """d(reduced)/d(loss_n) * gy, to multiply the (N, C) rows' gradients by:
    a scalar for "mean" and "sum" (it broadcasts), a column for "none"."""
    if reduction == "mean":
        return gy / denominator
    if reduction == "sum":
        return gy
    return gy[:, None]


def _row_reduce(losses, reduction, denominator):
    if reduction == "mean":
        if denominator == 0:  # every row ignored: NaN, as torch
            with np.errstate(invalid="ignore"):
                return losses.sum() / denominator
        return losses.sum() / denominator
    return losses.sum() if reduction == "sum" else losses


# ---- regression ----------------------------------------------------------------
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


def l1_loss(pred, target, reduction="mean"):
    """Mean (or sum, or none) of ``|pred - target|``; gradient ``sign(pred -
    target)`` (0 where they are equal, as PyTorch). Same shapes required, as
    ``mse_loss``."""
    pred = _tensor(pred, "pred")
    target = _like(target, pred)
    return _reduce((pred - target).abs(), _reduction(reduction))


class Huber(Function):
    """Huber's loss of ``d = pred - target`` (Huber 1964):

        loss = d^2 / 2                    if |d| < delta
        loss = delta * (|d| - delta / 2)  otherwise
        d loss / d pred = clip(d, -delta, delta) = -d loss / d target
    """

    label = "huber_loss"

    def __init__(self, delta, reduction):
        self.delta, self.reduction = delta, reduction

    def forward(self, pred, target):
        d = pred - target
        self.slope = np.clip(d, -self.delta, self.delta)
        small = np.abs(d) < self.delta
        losses = np.where(small, 0.5 * d * d,
                          self.delta * (np.abs(d) - 0.5 * self.delta))
        return _reduce(losses, self.reduction)

    def backward(self, gy):
        scale = _unreduce(gy, self.reduction, self.slope.shape, self.slope.dtype)
        return self.slope * scale, -self.slope * scale


def _positive(name, value, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value}")
    return float(value)


def huber_loss(pred, target, reduction="mean", delta=1.0):
    """Huber loss (see ``Huber``): quadratic for ``|d| < delta``, linear
    beyond, so outliers pull with force at most ``delta``. As
    ``torch.nn.functional.huber_loss``."""
    pred = _tensor(pred, "pred")
    target = _like(target, pred)
    delta = _positive("delta", delta)
    return Huber(delta, _reduction(reduction))(pred, target)


def smooth_l1_loss(pred, target, reduction="mean", beta=1.0):
    """``huber_loss(delta=beta) / beta``: ``d^2 / (2 beta)`` for ``|d| < beta``,
    ``|d| - beta / 2`` beyond; ``beta=0`` is ``l1_loss``. As
    ``torch.nn.functional.smooth_l1_loss``."""
    beta = _positive("beta", beta, allow_zero=True)
    if beta == 0:
        return l1_loss(pred, target, reduction)
    return huber_loss(pred, target, reduction, delta=beta) / beta


# ---- classification with class indices ----------------------------------------
class CrossEntropy(Function):
    """Softmax cross-entropy against target rows ``q_n`` (module docstring):

        loss_n = -sum_c q_nc * log_softmax(z_n)_c
               = (sum_c q_nc) * logsumexp(z_n) - sum_c q_nc * z_nc
        d loss_n / d z_n = (sum_c q_nc) * softmax(z_n) - q_n

    (plain one-hot targets: ``softmax(z_n) - onehot(t_n)``).
    """

    label = "cross_entropy"
    differentiable_backward = True  # softmax of a Tensor input is the op

    def __init__(self, q, denominator, reduction, rows_sum_to_1=False):
        self.q, self.denominator, self.reduction = q, denominator, reduction
        self.rows_sum_to_1 = rows_sum_to_1  # sum_c q_nc = 1 for every n

    def forward(self, z):
        shifted = z - _row_max(z)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        self.probs = e / total
        losses = -np.sum(self.q * (shifted - np.log(total)), axis=1)
        return _row_reduce(losses, self.reduction, self.denominator)

    def backward(self, gy):
        z, q = self.args[0], self.q
        probs = _softmax_rows(z) if isinstance(z, Tensor) else self.probs
        grad = probs - q if self.rows_sum_to_1 else (
            q.sum(axis=1, keepdims=True) * probs - q)
        return grad * _scale(gy, self.reduction, self.denominator)


def _row_max(z):
    """Each row's maximum (a column), or 0 where it is not finite: a row of
    -inf must not give (-inf) - (-inf) = NaN in the shift."""
    m = z.max(axis=1, keepdims=True)
    return m if np.isfinite(m).all() else np.where(np.isfinite(m), m, 0)


def _softmax_rows(z):
    """softmax(z) along rows as Tensor ops (create_graph); the shift by the
    row max, a constant, changes nothing but overflow."""
    e = (z - z.data.max(axis=1, keepdims=True)).exp()
    return e / e.sum(axis=1, keepdims=True)


class NLL(Function):
    """Negative log-likelihood of given log-probabilities ``x``:

        loss_n = -sum_c q_nc * x_nc = -w[t_n] * x[n, t_n]
        d loss_n / d x_n = -q_n
    """

    label = "nll_loss"
    differentiable_backward = True  # linear in x

    def __init__(self, q, denominator, reduction):
        self.q, self.denominator, self.reduction = q, denominator, reduction

    def forward(self, x):
        losses = -np.sum(self.q * x, axis=1)
        return _row_reduce(losses, self.reduction, self.denominator)

    def backward(self, gy):
        return -self.q * _scale(gy, self.reduction, self.denominator)


def _class_targets(logits, target, weight, ignore_index, label_smoothing):
    """The target rows ``q`` (N, C) and the mean's denominator, checked."""
    if logits.ndim != 2 or logits.shape[0] == 0 or logits.shape[1] == 0:
        raise ValueError(f"input must have shape (N, C) with N, C >= 1, got "
                         f"{logits.shape}")
    n, c = logits.shape
    t = np.asarray(getattr(target, "data", target))
    if t.dtype.kind not in "iu":
        raise TypeError(f"target must hold integer class indices, got dtype "
                        f"{t.dtype} (for probabilities/0-1 labels see "
                        f"binary_cross_entropy_with_logits)")
    if t.shape != (n,):
        raise ValueError(f"target must have shape ({n},) to match the input "
                         f"{logits.shape}, got {t.shape}")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index,
                                                        numbers.Integral):
        raise TypeError(f"ignore_index must be an int, got {ignore_index!r}")
    kept = t != ignore_index
    if weight is None and label_smoothing == 0 and kept.all() and (
            t.min() >= 0 and t.max() < c):
        # the usual case, one-hot rows: the general recipe below, shortened
        q = np.zeros((n, c), dtype=logits.dtype)
        q[np.arange(n), t] = 1
        return q, n
    if kept.any() and (t[kept].min() < 0 or t[kept].max() >= c):
        raise ValueError(f"target values must lie in [0, {c}) for {c} classes "
                         f"(or equal ignore_index={ignore_index}), got min "
                         f"{t[kept].min()} and max {t[kept].max()}")
    if weight is None:
        w = np.ones(c, dtype=logits.dtype)
    else:
        w = np.asarray(getattr(weight, "data", weight))
        if w.shape != (c,) or w.dtype.kind not in "fiu":
            raise ValueError(f"weight must be {c} numbers (one per class), got "
                             f"shape {w.shape} and dtype {w.dtype}")
        w = w.astype(logits.dtype)
    eps = label_smoothing
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or \
            not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing must be a number in [0, 1], got {eps!r}")
    safe_t = np.where(kept, t, 0).astype(np.intp)
    q = np.zeros((n, c), dtype=logits.dtype)
    q[np.arange(n), safe_t] = (1.0 - eps) * w[safe_t]
    q += (eps / c) * w  # label smoothing: eps spread over the classes
    q[~kept] = 0
    denominator = w[safe_t][kept].sum()
    return q, denominator


def cross_entropy(logits, target, reduction="mean", *, weight=None,
                  ignore_index=-100, label_smoothing=0.0):
    """Cross-entropy of ``logits`` (N, C) against class indices ``target``
    (N,), as ``torch.nn.functional.cross_entropy`` (class-index targets):

        q_nc   = (1 - eps) * w[t_n] * [c == t_n] + eps * w_c / C
        loss_n = -sum_c q_nc * log_softmax(logits_n)_c     (0 if ignored)

    - ``weight``: per-class weights ``w`` (default all 1);
    - ``ignore_index``: rows whose target equals it add nothing (default
      -100, as PyTorch);
    - ``label_smoothing = eps`` in [0, 1] (Szegedy et al. 2016,
      arXiv:1512.00567);
    - ``reduction="mean"`` divides by ``sum of w[t_n]`` over counted rows (N
      without weights or ignored rows); all rows ignored gives NaN, as
      PyTorch. Probability targets are not supported.

    ``reduction`` is the third positional argument (minigrad's contract);
    the new options are keyword-only (PyTorch's third is ``weight``).
    """
    logits = _tensor(logits, "logits")
    q, denominator = _class_targets(logits, target, weight, ignore_index,
                                    label_smoothing)
    # rows of q sum to 1 unless weighted or ignored (smoothing keeps the sum)
    plain = weight is None and denominator == len(q)
    return CrossEntropy(q, denominator, _reduction(reduction), plain)(logits)


def nll_loss(log_probs, target, reduction="mean", *, weight=None,
             ignore_index=-100):
    """Negative log-likelihood ``-w[t_n] * log_probs[n, t_n]`` of
    log-probabilities (N, C) (e.g. from ``log_softmax``) and class indices
    (N,), reduced as ``cross_entropy``: ``nll_loss(log_softmax(z), t) ==
    cross_entropy(z, t)``. As ``torch.nn.functional.nll_loss`` (the options
    keyword-only, as in ``cross_entropy``)."""
    log_probs = _tensor(log_probs, "input")
    q, denominator = _class_targets(log_probs, target, weight, ignore_index, 0.0)
    return NLL(q, denominator, _reduction(reduction))(log_probs)


class BCEWithLogits(Function):
    """Binary cross-entropy of sigmoid(z) against t, in the stable form

        loss = max(z, 0) - z * t + log(1 + exp(-|z|))
        d loss/dz = sigmoid(z) - t,     d loss/dt = -z
    """

    label = "bce_with_logits"
    differentiable_backward = True  # sigmoid of a Tensor input is the op

    def __init__(self, reduction):
        self.reduction = reduction

    def forward(self, z, t):
        losses = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
        return _reduce(losses, self.reduction)

    def backward(self, gy):
        z, t = self.args
        scale = _unreduce(gy, self.reduction, z.shape, z.dtype)
        sig = Sigmoid()(z) if isinstance(z, Tensor) else _sigmoid(z)
        return (sig - t) * scale, -z * scale


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """Binary cross-entropy between ``sigmoid(logits)`` and ``target`` (same
    shape, values in [0, 1]; integer 0/1 labels are converted to floats), as
    ``torch.nn.functional.binary_cross_entropy_with_logits`` (no weights)."""
    logits = _tensor(logits, "logits")
    if logits.size == 0:
        raise ValueError(f"logits is empty (shape {logits.shape})")
    target = _like(target, logits)
    return BCEWithLogits(_reduction(reduction))(logits, target)


# ---- the same losses as modules (PyTorch's nn.CrossEntropyLoss() style) ------
class _Loss(Module):
    """A loss function with its options fixed at construction."""

    function = None

    def __init__(self, reduction="mean", **options):
        self.reduction, self.options = _reduction(reduction), options

    def forward(self, input, target):
        return type(self).function(input, target, self.reduction, **self.options)

    def extra_repr(self):
        settings = [f"reduction={self.reduction!r}"]
        settings += [f"{k}={v!r}" for k, v in self.options.items()]
        return ", ".join(settings)


class CrossEntropyLoss(_Loss):
    """``cross_entropy`` as a module: ``CrossEntropyLoss(weight=None,
    ignore_index=-100, reduction="mean", label_smoothing=0.0)``."""

    function = cross_entropy

    def __init__(self, weight=None, ignore_index=-100, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(reduction, weight=weight, ignore_index=ignore_index,
                         label_smoothing=label_smoothing)


class NLLLoss(_Loss):
    """``nll_loss`` as a module: ``NLLLoss(weight=None, ignore_index=-100,
    reduction="mean")``."""

    function = nll_loss

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction, weight=weight, ignore_index=ignore_index)


class MSELoss(_Loss):
    """``mse_loss`` as a module: mean of ``(input - target)^2``."""

    function = mse_loss


class L1Loss(_Loss):
    """``l1_loss`` as a module: mean of ``|input - target|``."""

    function = l1_loss


class HuberLoss(_Loss):
    """``huber_loss`` as a module: ``HuberLoss(reduction="mean", delta=1.0)``."""

    function = huber_loss

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction, delta=delta)


class SmoothL1Loss(_Loss):
    """``smooth_l1_loss`` as a module: ``SmoothL1Loss(reduction="mean",
    beta=1.0)``."""

    function = smooth_l1_loss

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction, beta=beta)


class BCEWithLogitsLoss(_Loss):
    """``binary_cross_entropy_with_logits`` as a module."""

    function = binary_cross_entropy_with_logits
