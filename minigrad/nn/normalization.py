"""Batch and layer normalisation: one fused op written from the derivation
(``docs/normalization.md`` goes through it step by step) and the two layers.

Both normalise ``x`` over a set of axes A (BatchNorm: the batch axis, and
the length axis of (N, C, L) input; LayerNorm: the trailing feature axes),
with ``m`` the number of values averaged:

    mu = mean_A(x)      var = mean_A((x - mu)^2)   (biased, as PyTorch)
    xhat = (x - mu) / sqrt(var + eps)              y = gamma * xhat + beta

and, with ``g = dL/dy`` and ``gxhat = g * gamma``, the backward is

    dL/dbeta  = sum over the other axes of g
    dL/dgamma = sum over the other axes of g * xhat
    dL/dx     = (gxhat - mean_A(gxhat) - xhat * mean_A(gxhat * xhat))
                / sqrt(var + eps)

The two subtracted means are the paths through ``mu`` and ``var``; with
fixed statistics (BatchNorm in eval mode) they vanish and ``dL/dx = gxhat /
sqrt(var + eps)``.
"""
import numbers

import numpy as np

from ..autograd import Function
from ..ops_math import sum_to
from ._util import _check_size, _float_dtype, _tensor
from .module import Module, Parameter


class BatchNormOp(Function):
    """The fused normalisation of the module docstring over ``axes``.

    Inputs ``x`` and, when affine, ``gamma`` and ``beta`` (shaped to broadcast
    against ``x``). With ``stats=(mean, var)`` those fixed statistics are used
    instead of the batch's (eval mode), and the gradient has no mean terms.
    """

    label = "batch_norm"

    def __init__(self, axes, eps, stats=None, shape=None):
        self.axes, self.eps, self.stats = axes, eps, stats
        self.shape = shape  # how gamma/beta broadcast against x

    def forward(self, x, gamma=None, beta=None):
        if self.stats is None:
            mean = x.mean(axis=self.axes, keepdims=True)
            var = ((x - mean) ** 2).mean(axis=self.axes, keepdims=True)
            self.batch_mean, self.batch_var = mean, var
        else:
            mean, var = (s.reshape(self.shape) for s in self.stats)
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.xhat = (x - mean) * self.inv_std
        self.gamma = gamma
        if gamma is None:
            return self.xhat
        return self.xhat * gamma.reshape(self.shape) + beta.reshape(self.shape)

    def backward(self, g):
        gamma = self.gamma
        gxhat = g if gamma is None else g * gamma.reshape(self.shape)
        if self.stats is None:  # the paths through mu and var
            gxhat = (gxhat - gxhat.mean(axis=self.axes, keepdims=True)
                     - self.xhat * (gxhat * self.xhat).mean(axis=self.axes,
                                                            keepdims=True))
        gx = gxhat * self.inv_std
        if gamma is None:
            return gx
        ggamma = sum_to(g * self.xhat, self.shape).reshape(gamma.shape)
        gbeta = sum_to(g, self.shape).reshape(gamma.shape)
        return gx, ggamma, gbeta


class LayerNormOp(BatchNormOp):
    """The same fused op over the trailing feature axes (always the sample's
    own statistics; there are no running ones)."""

    label = "layer_norm"


def _eps(eps):
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or \
            not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
    return float(eps)


def _affine(weight, bias):
    if (weight is None) != (bias is None):
        raise ValueError("give both weight and bias, or neither")
    return () if weight is None else (_tensor(weight, "weight"),
                                      _tensor(bias, "bias"))


def batch_norm(x, running_mean=None, running_var=None, weight=None, bias=None,
               training=True, momentum=0.1, eps=1e-5):
    """Batch normalisation of ``x`` of shape (N, C) or (N, C, L) per channel C
    (Ioffe & Szegedy 2015, arXiv:1502.03167), as
    ``torch.nn.functional.batch_norm``.

    ``training=True`` normalises with the batch's mean and biased variance
    and, when running statistics are given, updates them in place:
    ``running = (1 - momentum) * running + momentum * batch`` (the variance
    unbiased, ``* n / (n - 1)``). ``training=False`` uses the running
    statistics. ``weight``/``bias`` (C,) are ``gamma``/``beta``.
    """
    x = _tensor(x)
    if x.ndim not in (2, 3):
        raise ValueError(f"batch_norm expects input of shape (N, C) or (N, C, L),"
                         f" got {x.shape}")
    c = x.shape[1]
    axes = (0,) if x.ndim == 2 else (0, 2)
    shape = (1, c) if x.ndim == 2 else (1, c, 1)
    affine = _affine(weight, bias)
    for name, t in (("weight", weight), ("bias", bias),
                    ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and tuple(getattr(t, "shape", ())) != (c,):
            raise ValueError(f"{name} must have shape ({c},) for input {x.shape},"
                             f" got {tuple(getattr(t, 'shape', ()))}")
    eps = _eps(eps)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm with training=False needs running_mean "
                             "and running_var")
        stats = (_data(running_mean), _data(running_var))
        return BatchNormOp(axes, eps, stats, shape)(x, *affine)
    n = x.size // c
    if n < 2:
        raise ValueError(f"batch_norm in training needs more than 1 value per "
                         f"channel, got input of shape {x.shape}")
    op = BatchNormOp(axes, eps, None, shape)
    y = op(x, *affine)
    if running_mean is not None:
        m = momentum
        _data(running_mean)[...] *= 1 - m
        _data(running_mean)[...] += m * op.batch_mean.reshape(c)
    if running_var is not None:
        unbiased = op.batch_var.reshape(c) * (n / (n - 1))
        _data(running_var)[...] *= 1 - momentum
        _data(running_var)[...] += momentum * unbiased
    return y


def _data(t):
    return t.data if hasattr(t, "data") and not isinstance(t, np.ndarray) else t


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation (Ba et al. 2016, arXiv:1607.06450): each sample is
    normalised over its trailing ``normalized_shape`` axes, then scaled by
    ``weight`` and shifted by ``bias`` (both of ``normalized_shape``), as
    ``torch.nn.functional.layer_norm``."""
    x = _tensor(x)
    normalized_shape = _shape(normalized_shape)
    k = len(normalized_shape)
    if x.shape[x.ndim - k:] != normalized_shape or x.ndim < k:
        raise ValueError(f"layer_norm over {normalized_shape} needs input whose "
                         f"last dimensions are {normalized_shape}, got {x.shape}")
    axes = tuple(range(x.ndim - k, x.ndim))
    affine = _affine(weight, bias)
    for name, t in zip(("weight", "bias"), affine):
        if t.shape != normalized_shape:
            raise ValueError(f"{name} must have shape {normalized_shape}, got "
                             f"{t.shape}")
    return LayerNormOp(axes, _eps(eps), None, normalized_shape)(x, *affine)


def _shape(shape):
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    shape = tuple(shape)
    if not shape or not all(isinstance(n, numbers.Integral) and
                            not isinstance(n, bool) and n >= 1 for n in shape):
        raise ValueError(f"normalized_shape must be positive ints, got {shape!r}")
    return tuple(int(n) for n in shape)


class BatchNorm1d(Module):
    """Batch normalisation over the batch (and length) axes, per feature:
    ``y = gamma * (x - mu) / sqrt(var + eps) + beta`` for input (N, C) or
    (N, C, L) (Ioffe & Szegedy 2015, arXiv:1502.03167; the math and the
    backward are in the module docstring).

    - training: ``mu``, ``var`` are the batch's (biased); the buffers
      ``running_mean`` (starts 0) and ``running_var`` (starts 1) move towards
      them, ``running = (1 - momentum) * running + momentum * batch`` with the
      unbiased batch variance; ``momentum=None`` makes them the plain average
      of all batches so far (``num_batches_tracked`` counts them).
    - eval: uses ``running_mean``/``running_var`` (or the batch's if
      ``track_running_stats=False``).
    - ``weight`` (gamma, starts 1) and ``bias`` (beta, starts 0) when
      ``affine``. Defaults, buffers and ``state_dict`` keys as
      ``torch.nn.BatchNorm1d``.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, dtype=None):
        self.num_features = _check_size("num_features", num_features)
        self.eps = _eps(eps)
        if momentum is not None and (isinstance(momentum, bool) or not isinstance(
                momentum, numbers.Real) or not 0.0 <= momentum <= 1.0):
            raise ValueError(f"momentum must be a number in [0, 1] or None, got "
                             f"{momentum!r}")
        self.momentum = momentum
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        dtype = _float_dtype(dtype)
        c = self.num_features
        self.weight = Parameter(np.ones(c, dtype)) if affine else None
        self.bias = Parameter(np.zeros(c, dtype)) if affine else None
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(c, dtype))
            self.register_buffer("running_var", np.ones(c, dtype))
            self.register_buffer("num_batches_tracked", np.array(0, np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        """Running mean 0, variance 1, count 0."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def forward(self, x):
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if momentum is None:  # cumulative average of all batches so far
                momentum = 1.0 / float(self.num_batches_tracked.data)
        use_batch_stats = self.training or not self.track_running_stats
        return batch_norm(x, self.running_mean, self.running_var, self.weight,
                          self.bias, use_batch_stats, momentum or 0.0, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats="
                f"{self.track_running_stats}")


class LayerNorm(Module):
    """Layer normalisation over the trailing ``normalized_shape`` axes of each
    sample: ``y = gamma * (x - mu) / sqrt(var + eps) + beta`` (Ba et al. 2016,
    arXiv:1607.06450). Same in training and eval; no running statistics.
    ``weight`` (starts 1) and ``bias`` (starts 0, absent with ``bias=False``)
    have ``normalized_shape`` when ``elementwise_affine``. As
    ``torch.nn.LayerNorm``. LAMB users usually exclude these parameters (and
    biases) from weight decay and trust-ratio adaptation with a param group.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True,
                 bias=True, dtype=None):
        self.normalized_shape = _shape(normalized_shape)
        self.eps = _eps(eps)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = _float_dtype(dtype)
        shape = self.normalized_shape
        self.weight = Parameter(np.ones(shape, dtype)) if elementwise_affine \
            else None
        self.bias = Parameter(np.zeros(shape, dtype)) if elementwise_affine \
            and bias else None

    def forward(self, x):
        weight, bias = self.weight, self.bias
        if weight is not None and bias is None:  # scale only
            y = layer_norm(x, self.normalized_shape, eps=self.eps)
            return y * weight
        return layer_norm(x, self.normalized_shape, weight, bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine="
                f"{self.elementwise_affine}")
