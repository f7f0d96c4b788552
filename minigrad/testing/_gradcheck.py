"""gradcheck, gradcheck_module and numerical_grad: checks of code built from
minigrad ops (the numerics are in ``_core``, the words in ``_report``)."""
import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from . import _core
from ._report import GradcheckReport

DEFAULT_DIRECTIONS = 8  # why 8: see docs/testing.md, "How many directions"
DTYPE_POLICIES = ("error", "upcast")


def as_input_list(inputs):
    if isinstance(inputs, Tensor):
        return [inputs]
    inputs = list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"input {i} is a {type(t).__name__}, not a Tensor")
    return inputs


def require_float64(tensors, names):
    for t, name in zip(tensors, names):
        if t.data.dtype.kind == "f" and t.data.dtype != np.float64:
            raise ValueError(
                f"gradient checks need float64, but {name} is {t.data.dtype}: "
                f"central differences in float32 are swamped by rounding. Use "
                f"Tensor(..., dtype=np.float64) or mg.set_default_dtype(np.float64) "
                f"before building the model, or pass dtype_policy='upcast' to "
                f"check float64 copies"
            )


def _check_dtype_policy(policy):
    if policy not in DTYPE_POLICIES:
        raise ValueError(f"gradcheck: dtype_policy must be 'error' or 'upcast', "
                         f"got {policy!r}")


def _upcast(t):
    """A float64 copy of a float32 leaf (other tensors are returned as is)."""
    if t.data.dtype.kind != "f" or t.data.dtype == np.float64:
        return t
    return Tensor(t.data.astype(np.float64), requires_grad=t.requires_grad,
                  name=t.name)


def _output_array(out):
    if not isinstance(out, Tensor):
        raise TypeError(f"fn must return a Tensor, got {type(out).__name__}")
    return out.data


def _scalar_objective(fn, inputs, cotangent):
    """L = sum(fn(*inputs) * cotangent) as a Python float, without a graph."""
    with no_grad():
        out = fn(*inputs)
    return float(np.sum(_output_array(out) * cotangent))


def numerical_grad(fn, inputs, eps=1e-6, cotangent=None):
    """Central-difference gradients of sum(fn(*inputs) * cotangent).

    Returns a list aligned with ``inputs``: an array of each input's shape for
    inputs with ``requires_grad``, None for the others. ``cotangent`` defaults
    to ones (i.e. the gradient of ``fn(...).sum()``). Each element of each
    input is nudged in place and restored exactly, also if fn raises.
    """
    _core.check_tolerances(eps)
    inputs = as_input_list(inputs)
    if cotangent is None:
        with no_grad():
            cotangent = np.ones_like(_output_array(fn(*inputs)), dtype=np.float64)

    def objective():
        return _scalar_objective(fn, inputs, cotangent)

    grads = []
    for t in inputs:
        if not t.requires_grad:
            grads.append(None)
            continue
        plus, minus = _core.element_differences(objective, t.data,
                                                np.arange(t.data.size), eps)
        grads.append(((plus - minus) / (2 * eps)).reshape(t.data.shape))
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


def run_check(fn, inputs, names, eps, atol, rtol, seed, mode_options,
              title="gradcheck"):
    """Build the Problem for ``fn`` and the Tensors ``inputs``, run it in
    the chosen mode, and return the GradcheckReport."""
    fast, samples, directions, kinks, locate = mode_options
    mode = _core.check_mode_options(fast, samples, directions, kinks)
    _core.check_tolerances(eps, atol, rtol)
    require_float64(inputs, names)
    if not any(t.requires_grad for t in inputs):
        raise ValueError("gradcheck: no input has requires_grad=True; nothing to check")
    with no_grad():
        out = _output_array(fn(*inputs))
    if out.dtype != np.float64:
        raise ValueError(f"gradcheck: fn returned {out.dtype}; it must stay float64")
    cotangent = np.random.default_rng(seed).standard_normal(out.shape)
    analytic = _analytic_grads(fn, inputs, cotangent)
    checked = [k for k, t in enumerate(inputs) if t.requires_grad]
    problem = _core.Problem([names[k] for k in checked],
                            [inputs[k].data for k in checked],
                            [analytic[k] for k in checked],
                            lambda: _scalar_objective(fn, inputs, cotangent))
    directions = directions or DEFAULT_DIRECTIONS
    rng = np.random.default_rng([seed, 1])  # directions and samples
    results = _core.run(problem, mode, eps, atol, rtol, kinks, rng, samples,
                        directions, locate)
    per_input = {"full": None, "sampled": samples, "fast": directions}[mode]
    return GradcheckReport(results, mode, atol, rtol, kinks, title, per_input)


def _finish(report, raise_exception):
    if report.passed:
        return True
    if raise_exception:
        raise report.error()
    return False


def input_names(inputs):
    return [f"input {i}" + (f" ({t.name!r})" if t.name else "")
            for i, t in enumerate(inputs)]


def gradcheck_report(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, *,
                     fast=False, samples=None, directions=None, kinks="skip",
                     locate=True, dtype_policy="error"):
    """Like ``gradcheck`` but returns the ``GradcheckReport`` whatever the
    outcome (``str(report)`` says what was checked and how many kinks were
    skipped)."""
    _check_dtype_policy(dtype_policy)
    inputs = as_input_list(inputs)
    names = input_names(inputs)
    if dtype_policy == "upcast":
        inputs = [_upcast(t) for t in inputs]
    return run_check(fn, inputs, names, eps, atol, rtol, seed,
                     (fast, samples, directions, kinks, locate))


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              seed=0, *, fast=False, samples=None, directions=None, kinks="skip",
              locate=True, dtype_policy="error"):
    """Check ``fn``'s backward against central differences, for every input
    with ``requires_grad=True``.

    ``fn`` maps the input Tensors to a Tensor of any shape; inputs must be
    float64 (a float32 input raises ValueError; ``dtype_policy="upcast"``
    checks float64 copies instead). An element passes when |analytic -
    numerical| <= atol + rtol * |numerical|. On a mismatch raises
    ``GradcheckError`` naming the input (index and ``.name``), its worst
    element, both values and the errors -- or returns False when
    ``raise_exception=False``. ``seed`` fixes the random cotangent (and the
    random directions or samples). The inputs' data and ``.grad`` are left
    exactly as they were.

    Modes (docs/testing.md says when to use which):

    * default: every element, 2 evaluations of ``fn`` per element;
    * ``samples=k``: k random elements per input;
    * ``fast=True``: ``directions`` (default 4) random unit directions u per
      input, analytic v.J.u against a central difference along u: 2
      evaluations per direction whatever the size. On a failure the worst
      input is then checked element by element, to name the element
      (``locate=False`` skips that: 2 evaluations per element).

    ``kinks="skip"`` (default): an element whose one-sided differences
    disagree (a ReLU/abs/max corner within eps) and between which the
    analytic value lies is reported as at a kink, not as a failure;
    ``kinks="fail"`` counts it. PyTorch's ``gradcheck`` has ``fast_mode``
    (one direction) and no kink handling.
    """
    report = gradcheck_report(fn, inputs, eps, atol, rtol, seed, fast=fast,
                              samples=samples, directions=directions,
                              kinks=kinks, locate=locate,
                              dtype_policy=dtype_policy)
    return _finish(report, raise_exception)


def gradcheck_module_report(module, inputs, loss_fn=None, eps=1e-6, atol=1e-5,
                            rtol=1e-3, seed=0, *, fast=False, samples=None,
                            directions=None, kinks="skip", locate=True,
                            dtype_policy="error"):
    """Like ``gradcheck_module`` but returns the ``GradcheckReport``."""
    _check_dtype_policy(dtype_policy)
    named = list(module.named_parameters())
    if not named:
        raise ValueError("gradcheck_module: the module has no parameters")
    args = tuple(as_input_list(inputs))
    names = [name for name, _ in named]
    params = [p for _, p in named]
    if dtype_policy == "upcast":
        args = tuple(_upcast(t) for t in args)
    else:  # the parameters are checked with the other inputs, in run_check
        require_float64(args, [f"module input {i}" for i in range(len(args))])
    snapshot = [(p, p.data, p.data.copy(), p.grad, p.requires_grad) for p in params]
    input_grads = [(t, t.grad, None if t.grad is None else t.grad.copy()) for t in args]

    def objective(*_params):  # the parameters are read through the module
        out = module(*args)
        return out if loss_fn is None else loss_fn(out)

    try:
        for p in params:
            p.requires_grad = True
            if dtype_policy == "upcast" and p.data.dtype == np.float32:
                p.data = p.data.astype(np.float64)
        return run_check(objective, params, names, eps, atol, rtol, seed,
                         (fast, samples, directions, kinks, locate))
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


def gradcheck_module(module, inputs, loss_fn=None, eps=1e-6, atol=1e-5,
                     rtol=1e-3, raise_exception=True, seed=0, *, fast=False,
                     samples=None, directions=None, kinks="skip",
                     locate=True, dtype_policy="error"):
    """Gradcheck every parameter of ``module`` in one call.

    ``module`` is anything with ``named_parameters()`` and ``__call__`` (an
    ``nn.Module``); ``inputs`` is a Tensor or a tuple of Tensors passed to it.
    The checked function is ``loss_fn(module(*inputs))`` (default: the output
    itself, with a random cotangent). Failures are reported by each
    parameter's dotted name (``"layers.0.weight"``). The parameters' data
    and ``.grad`` (and the inputs' ``.grad``) are restored exactly afterwards,
    also when the check raises. Modules with randomness (dropout) must be in
    eval mode, or the two sides see different functions. ``fast``,
    ``samples``, ``directions``, ``kinks``, ``locate`` and ``dtype_policy``
    work as in
    ``gradcheck``; ``fast=True`` costs 2 forward passes per direction per
    parameter, however large the parameters are.
    """
    report = gradcheck_module_report(
        module, inputs, loss_fn, eps, atol, rtol, seed, fast=fast,
        samples=samples, directions=directions, kinks=kinks, locate=locate,
        dtype_policy=dtype_policy)
    return _finish(report, raise_exception)
