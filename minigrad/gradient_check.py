"""Gradient checking: compare backward's gradients with central differences.

For a function f of tensors x_1..x_n and a random cotangent v (same shape as
f's output) the quantity checked is the scalar L = sum(f(x) * v):

* analytic:  dL/dx_i from ``backward(v)``;
* numerical: (L(x + eps e_j) - L(x - eps e_j)) / (2 eps) for every element j.

A random v (rather than all ones) matters: with ones, an op whose backward
sums or permutes gy wrongly can still pass. Inputs must be float64, because
in float32 the rounding error of L is comparable to the differences.

    >>> import numpy as np, minigrad as mg
    >>> x = mg.Tensor(np.random.rand(3, 4), requires_grad=True, dtype=np.float64)
    >>> mg.gradcheck(lambda x: (x * x).sum(axis=1), [x])
    True
"""
import numpy as np

from .autograd import no_grad
from .tensor import Tensor

__all__ = ["gradcheck", "numerical_grad", "gradcheck_module", "GradcheckError"]


class GradcheckError(AssertionError):
    """Analytic and numerical gradients differ. ``failures`` holds one dict per
    failing input (name, index of the worst element, analytic, numerical,
    abs_error, rel_error); the message says the same in words."""

    def __init__(self, message, failures=()):
        super().__init__(message)
        self.failures = list(failures)


def _as_input_list(inputs):
    if isinstance(inputs, Tensor):
        return [inputs]
    inputs = list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"input {i} is a {type(t).__name__}, not a Tensor")
    return inputs


def _require_float64(tensors, names):
    for t, name in zip(tensors, names):
        if t.data.dtype.kind == "f" and t.data.dtype != np.float64:
            raise ValueError(
                f"gradient checks need float64, but {name} is {t.data.dtype}: "
                f"central differences in float32 are swamped by rounding. Use "
                f"Tensor(..., dtype=np.float64) or mg.set_default_dtype(np.float64) "
                f"before building the model"
            )


def _scalar_objective(fn, inputs, cotangent):
    """L = sum(fn(*inputs) * cotangent) as a Python float, without a graph."""
    with no_grad():
        out = fn(*inputs)
    return float(np.sum(_output_array(out) * cotangent))


def _output_array(out):
    if not isinstance(out, Tensor):
        raise TypeError(f"fn must return a Tensor, got {type(out).__name__}")
    return out.data


def _check_tolerances(eps, atol=0.0, rtol=0.0):
    """eps must be finite and > 0 (it divides), atol and rtol finite and >= 0."""
    for name, value, positive in (("eps", eps, True), ("atol", atol, False),
                                  ("rtol", rtol, False)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(
                value, (int, float, np.integer, np.floating)):
            raise TypeError(f"gradcheck: {name} must be a real number, got {value!r}")
        if not np.isfinite(value) or value < 0 or (positive and value == 0):
            bound = "> 0" if positive else ">= 0"
            raise ValueError(f"gradcheck: {name} must be finite and {bound}, "
                             f"got {value}")


def numerical_grad(fn, inputs, eps=1e-6, cotangent=None):
    """Central-difference gradients of sum(fn(*inputs) * cotangent).

    Returns a list aligned with ``inputs``: an array of each input's shape for
    inputs with ``requires_grad``, None for the others. ``cotangent`` defaults
    to ones (i.e. the gradient of ``fn(...).sum()``). Each element of each
    input is nudged in place and restored exactly, also if fn raises.
    """
    _check_tolerances(eps)
    inputs = _as_input_list(inputs)
    if cotangent is None:
        with no_grad():
            cotangent = np.ones_like(_output_array(fn(*inputs)), dtype=np.float64)
    grads = []
    for t in inputs:
        if not t.requires_grad:
            grads.append(None)
            continue
        g = np.zeros(t.data.shape, dtype=np.float64)
        for j in np.ndindex(t.data.shape):
            original = t.data[j]
            try:
                t.data[j] = original + eps
                plus = _scalar_objective(fn, inputs, cotangent)
                t.data[j] = original - eps
                minus = _scalar_objective(fn, inputs, cotangent)
            finally:
                t.data[j] = original  # exact restore, not "+ eps - eps"
            g[j] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def _analytic_grads(fn, inputs, cotangent):
    """d sum(fn * cotangent)/d input via backward, leaving .grad untouched."""
    saved = [(t.grad, None if t.grad is None else t.grad.copy()) for t in inputs]
    try:
        for t in inputs:
            t.grad = None
        out = fn(*inputs)
        _output_array(out)
        if out.requires_grad:
            out.backward(cotangent.astype(out.data.dtype))
        return [
            None if not t.requires_grad
            else np.zeros(t.data.shape) if t.grad is None
            else t.grad.copy()
            for t in inputs
        ]
    finally:
        for t, (grad, values) in zip(inputs, saved):
            t.grad = grad
            if grad is not None:
                grad[...] = values


def _compare(analytic, numerical, name, atol, rtol):
    """None if within tolerance, else a dict describing the worst element."""
    abs_err = np.abs(analytic - numerical)
    excess = abs_err - (atol + rtol * np.abs(numerical))
    if analytic.size == 0 or np.all(excess <= 0):
        return None
    worst = np.unravel_index(int(np.argmax(excess)), analytic.shape)
    a, n = float(analytic[worst]), float(numerical[worst])
    return {
        "name": name,
        "index": tuple(int(i) for i in worst),
        "analytic": a,
        "numerical": n,
        "abs_error": abs(a - n),
        "rel_error": abs(a - n) / max(abs(n), 1e-300),
        "n_bad": int(np.sum(excess > 0)),
        "size": analytic.size,
    }


def _report(failures, atol, rtol):
    lines = [f"gradcheck failed (atol={atol}, rtol={rtol}):"]
    for f in failures:
        lines.append(
            f"  {f['name']}: worst element {f['index']}: analytic "
            f"{f['analytic']:.8g} vs numerical {f['numerical']:.8g} (abs error "
            f"{f['abs_error']:.3g}, rel error {f['rel_error']:.3g}); "
            f"{f['n_bad']} of {f['size']} elements out of tolerance"
        )
    return "\n".join(lines)


def _check(fn, inputs, names, eps, atol, rtol, raise_exception, seed):
    _check_tolerances(eps, atol, rtol)
    _require_float64(inputs, names)
    if not any(t.requires_grad for t in inputs):
        raise ValueError("gradcheck: no input has requires_grad=True; nothing to check")
    with no_grad():
        out = _output_array(fn(*inputs))
    if out.dtype != np.float64:
        raise ValueError(f"gradcheck: fn returned {out.dtype}; it must stay float64")
    cotangent = np.random.default_rng(seed).standard_normal(out.shape)
    analytic = _analytic_grads(fn, inputs, cotangent)
    numerical = numerical_grad(fn, inputs, eps, cotangent)
    failures = []
    for name, a, n in zip(names, analytic, numerical):
        if a is not None:
            failure = _compare(a, n, name, atol, rtol)
            if failure is not None:
                failures.append(failure)
    if not failures:
        return True
    if raise_exception:
        raise GradcheckError(_report(failures, atol, rtol), failures)
    return False


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              seed=0):
    """Check ``fn``'s backward against central differences, for every input
    with ``requires_grad=True``.

    ``fn`` maps the input Tensors to a Tensor of any shape; inputs must be
    float64 (a float32 input raises ValueError). An element passes when
    |analytic - numerical| <= atol + rtol * |numerical|. On a mismatch raises
    ``GradcheckError`` naming the input (index and ``.name``), its worst
    element, both values and the errors -- or returns False when
    ``raise_exception=False``. ``seed`` fixes the random cotangent. The
    inputs' data and ``.grad`` are left exactly as they were.
    """
    inputs = _as_input_list(inputs)
    names = [
        f"input {i}" + (f" ({t.name!r})" if t.name else "")
        for i, t in enumerate(inputs)
    ]
    return _check(fn, inputs, names, eps, atol, rtol, raise_exception, seed)


def gradcheck_module(module, inputs, loss_fn=None, eps=1e-6, atol=1e-5,
                     rtol=1e-3, raise_exception=True, seed=0):
    """Gradcheck every parameter of ``module`` in one call.

    ``module`` is anything with ``named_parameters()`` and ``__call__`` (an
    ``nn.Module``); ``inputs`` is a Tensor or a tuple of Tensors passed to it.
    The checked function is ``loss_fn(module(*inputs))`` (default: the output
    itself, with a random cotangent). Failures are reported by each
    parameter's dotted name (``"layers.0.weight"``). The parameters' data
    and ``.grad`` (and the inputs' ``.grad``) are restored exactly afterwards,
    also when the check raises. Modules with randomness (dropout) must be in
    eval mode, or the two sides see different functions.
    """
    named = list(module.named_parameters())
    if not named:
        raise ValueError("gradcheck_module: the module has no parameters")
    args = tuple(_as_input_list(inputs))
    _require_float64(args, [f"module input {i}" for i in range(len(args))])
    names = [name for name, _ in named]
    params = [p for _, p in named]
    snapshot = [(p, p.data, p.data.copy(), p.grad, p.requires_grad) for p in params]
    input_grads = [(t, t.grad, None if t.grad is None else t.grad.copy()) for t in args]

    def objective(*_params):  # the parameters are read through the module
        out = module(*args)
        return out if loss_fn is None else loss_fn(out)

    try:
        for p in params:
            p.requires_grad = True
        return _check(objective, params, names, eps, atol, rtol, raise_exception, seed)
    finally:
        for p, data, values, grad, requires_grad in snapshot:
            p.data = data
            data[...] = values
            p.grad = grad
            p.requires_grad = requires_grad
        for t, grad, values in input_grads:
            t.grad = grad
            if grad is not None:
                grad[...] = values
