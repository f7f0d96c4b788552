"""check_backward: gradient-check hand-written NumPy backprop.

No autograd needed: ``forward(*arrays) -> array`` and ``backward(grad_out,
*arrays) -> one gradient per input``, the way a first backprop assignment
writes them. The check is the one ``gradcheck`` runs (same modes, same
report); mistakes in what ``backward`` hands back (a missing gradient, a
gradient of the wrong shape or type, an input changed in place) are
explained in words before any number is compared.
"""
import numpy as np

from . import _core
from ..tensor import Tensor
from ._gradcheck import DEFAULT_DIRECTIONS, DTYPE_POLICIES
from ._report import GradcheckReport

WHO = "check_backward"


def _named_inputs(inputs, names):
    if isinstance(inputs, dict):
        if names is not None:
            raise ValueError(f"{WHO}: inputs is a dict, so its keys are the "
                             f"names; leave names=None")
        names, inputs = list(inputs), list(inputs.values())
    elif isinstance(inputs, np.ndarray):
        inputs = [inputs]
    inputs = list(inputs)
    if names is None:
        names = [f"input {i}" for i in range(len(inputs))]
    names = [str(n) for n in names]
    if len(names) != len(inputs):
        raise ValueError(f"{WHO}: {len(names)} names for {len(inputs)} inputs")
    if not inputs:
        raise ValueError(f"{WHO}: no inputs given")
    return names, inputs


def _prepared(value, name, dtype_policy):
    """A private float64 (or integer/bool) copy of one input."""
    array = np.array(value, copy=True)
    if array.dtype.kind in "iub":
        return array  # labels, indices, masks: constants, never checked
    if array.dtype.kind != "f":
        raise TypeError(f"{WHO}: {name} has dtype {array.dtype}; inputs are "
                        f"real numbers (float64) or integer/bool constants")
    if array.dtype != np.float64:
        if dtype_policy != "upcast":
            raise ValueError(
                f"{WHO}: {name} is {array.dtype}, but gradient checks need "
                f"float64 (in float32 the rounding error swamps the finite "
                f"differences). Build it with dtype=np.float64, or pass "
                f"dtype_policy='upcast' to check float64 copies")
        array = array.astype(np.float64)
    return array


def _forward_array(forward, arrays):
    out = np.asarray(forward(*arrays))
    if out.dtype.kind != "f":
        raise TypeError(f"{WHO}: forward returned {out.dtype} values; it must "
                        f"return a float array (or a float)")
    if out.dtype != np.float64:
        raise ValueError(f"{WHO}: forward returned {out.dtype} values; compute "
                         f"in float64 (a float32 constant or .astype inside "
                         f"forward?)")
    return out


def _unchanged(arrays, saved, names, who):
    for array, before, name in zip(arrays, saved, names):
        if not np.array_equal(array, before, equal_nan=True):
            raise ValueError(f"{WHO}: {who} changed the input {name} in place; "
                             f"it must leave its inputs as they were (work on a "
                             f"copy, e.g. x = x.copy())")


def _shape_advice(grad_shape, shape):
    if len(shape) > 1 and grad_shape == shape[::-1]:
        return " It looks transposed: is a .T missing?"
    try:
        if np.broadcast_shapes(shape, grad_shape) == grad_shape:
            return (" The input was broadcast in forward (like a bias added "
                    "to every row): sum the gradient over the axes it was "
                    "repeated along, e.g. db = dout.sum(axis=0).")
    except ValueError:
        pass
    if int(np.prod(grad_shape)) == int(np.prod(shape)):
        return " It has the right number of elements: is a reshape missing?"
    return ""


def _gradients(grads, names, arrays):
    """backward's answer as a list aligned with the inputs (None: not given)."""
    if grads is None:
        raise ValueError(f"{WHO}: backward returned None (is its return "
                         f"statement missing?); return one gradient per input")
    if isinstance(grads, dict):
        unknown = [k for k in grads if k not in names]
        if unknown:
            raise ValueError(f"{WHO}: backward returned a gradient for "
                             f"{unknown[0]!r}, which is not an input (inputs: "
                             f"{', '.join(names)})")
        grads = [grads.get(n) for n in names]
    elif isinstance(grads, np.ndarray) or np.isscalar(grads):
        grads = [grads]
    grads = list(grads)
    if len(grads) != len(arrays):
        raise ValueError(
            f"{WHO}: backward returned {len(grads)} gradient"
            f"{'s' if len(grads) != 1 else ''}, but forward takes "
            f"{len(arrays)} inputs ({', '.join(names)}): return one gradient "
            f"per input, in the same order (None for an input you do not "
            f"differentiate, such as integer labels)")
    checked = []
    for grad, name, x in zip(grads, names, arrays):
        if grad is None or x.dtype.kind != "f":
            checked.append(None)
            continue
        grad = np.asarray(grad)
        if grad.dtype.kind != "f":
            raise TypeError(f"{WHO}: the gradient for {name} has dtype "
                            f"{grad.dtype}; gradients are real numbers, so it "
                            f"must be a float array (np.zeros_like of an "
                            f"integer array gives integers)")
        if grad.shape != x.shape:
            raise ValueError(f"{WHO}: the gradient for {name} has shape "
                             f"{grad.shape}, but {name} has shape {x.shape}; "
                             f"a gradient always has the shape of its input."
                             f"{_shape_advice(grad.shape, x.shape)}")
        checked.append(grad.astype(np.float64))
    return checked


def _against_autograd(reference, arrays, names, grads, out, cotangent, atol,
                      rtol):
    """Compare backward's gradients with minigrad's autograd of
    ``reference`` (the same function written with minigrad ops)."""
    tensors = [Tensor(x, requires_grad=g is not None, dtype=x.dtype,
                      name=name) for x, g, name in zip(arrays, grads, names)]
    result = reference(*tensors)
    if not isinstance(result, Tensor):
        raise TypeError(f"{WHO}: reference must return a Tensor, got "
                        f"{type(result).__name__}")
    if result.shape != out.shape or not np.allclose(result.data, out,
                                                    rtol=1e-7, atol=1e-9):
        raise ValueError(f"{WHO}: reference and forward compute different "
                         f"things (shapes {result.shape} and {out.shape}, or "
                         f"different values): they must be the same function")
    if result.requires_grad:
        result.backward(cotangent)
    results = []
    for t, g, name in zip(tensors, grads, names):
        if g is None:
            continue
        theirs = np.zeros(t.shape) if t.grad is None else t.grad
        a, n = g.reshape(-1), theirs.reshape(-1)
        error, tol = np.abs(a - n), atol + rtol * np.abs(n)
        failing = ~(error <= tol)
        excess = np.where(np.isnan(error), np.inf, error - tol)
        ratio = np.where(np.isnan(error), np.inf,
                         error / np.maximum(tol, 1e-300))
        where = [tuple(int(v) for v in np.unravel_index(k, g.shape))
                 for k in range(g.size)]
        r = _core.summarize(f"{name} (vs minigrad autograd)", "full", g.size,
                            a, n, (failing, np.zeros_like(failing), excess,
                                   ratio), where)
        r["against"] = "autograd"
        results.append(r)
    return results


def backward_report(forward, backward, inputs, names=None, *, reference=None,
                    eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, fast=False,
                    samples=None, directions=None, kinks="skip", locate=True,
                    dtype_policy="error"):
    """Like ``check_backward`` but returns the ``GradcheckReport``."""
    mode = _core.check_mode_options(fast, samples, directions, kinks, WHO)
    _core.check_tolerances(eps, atol, rtol, WHO)
    if dtype_policy not in DTYPE_POLICIES:
        raise ValueError(f"{WHO}: dtype_policy must be 'error' or 'upcast', "
                         f"got {dtype_policy!r}")
    names, values = _named_inputs(inputs, names)
    arrays = [_prepared(v, n, dtype_policy) for v, n in zip(values, names)]
    saved = [x.copy() for x in arrays]
    out = _forward_array(forward, arrays)
    _unchanged(arrays, saved, names, "forward")
    cotangent = np.random.default_rng(seed).standard_normal(out.shape)
    grads = _gradients(backward(cotangent.copy(), *arrays), names, arrays)
    _unchanged(arrays, saved, names, "backward")
    checked = [k for k, g in enumerate(grads) if g is not None]
    if not checked:
        raise ValueError(f"{WHO}: backward returned no gradient for a float "
                         f"input; nothing to check")

    def objective():
        return float(np.sum(_forward_array(forward, arrays) * cotangent))

    problem = _core.Problem([names[k] for k in checked],
                            [arrays[k] for k in checked],
                            [grads[k] for k in checked], objective)
    directions = directions or DEFAULT_DIRECTIONS
    rng = np.random.default_rng([seed, 1])
    results = _core.run(problem, mode, eps, atol, rtol, kinks, rng, samples,
                        directions, locate)
    if reference is not None:
        results += _against_autograd(reference, arrays, names, grads, out,
                                     cotangent, atol, rtol)
    notes = [f"{n}: not checked (backward returned None)"
             for n, x, g in zip(names, arrays, grads)
             if g is None and x.dtype.kind == "f"]
    report = GradcheckReport(results, mode, atol, rtol, kinks, WHO,
                             {"full": None, "sampled": samples,
                              "fast": directions}[mode], notes)
    if not report.passed:
        report.notes.append("(analytic: what backward returned; numerical: "
                            "central differences of forward)")
    return report


def check_backward(forward, backward, inputs, names=None, *, reference=None,
                   eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0,
                   fast=False, samples=None, directions=None, kinks="skip",
                   locate=True, dtype_policy="error"):
    """Check a hand-written NumPy ``backward`` against central differences
    of ``forward``.

    ``forward(*arrays)`` returns an array (or a float, e.g. a loss);
    ``backward(grad_out, *arrays)`` returns dL/d(input) for
    L = sum(forward(*arrays) * grad_out): one gradient per input, in order
    (a tuple, or a dict by name when ``inputs`` is a dict), None for an input
    not differentiated. Integer and bool inputs (labels, masks) are
    constants. ``grad_out`` is a random array (a fixed ``seed``), so a
    backward that mixes up elements cannot hide behind all-ones.

    ``inputs``: a sequence of arrays (``names`` optional) or a dict
    ``{"W1": W1, ...}``; the check works on float64 copies and never
    changes them. ``reference``: optionally the same function written with
    minigrad ops (Tensors in, Tensor out); backward's gradients are then
    also compared with minigrad's autograd. Modes, tolerances, ``kinks``,
    ``locate`` and ``dtype_policy`` are those of ``gradcheck``. Returns True, or raises
    ``GradcheckError`` (an AssertionError) with the report -- False with
    ``raise_exception=False``. A backward that returns the wrong number of
    gradients, a wrong shape or an integer array, or changes an input in
    place, raises ``ValueError``/``TypeError`` saying what to fix.
    """
    report = backward_report(
        forward, backward, inputs, names, reference=reference, eps=eps,
        atol=atol, rtol=rtol, seed=seed, fast=fast, samples=samples,
        directions=directions, kinks=kinks, locate=locate,
        dtype_policy=dtype_policy)
    if report.passed:
        return True
    if raise_exception:
        raise report.error()
    return False
