"""What ``minigrad exercise check`` runs: load a learner's file, run checks,
and say in plain words what is right and what is wrong.

A grader is a generator: it yields one :class:`Check` per thing it verified
and stops at the first failure whose fix the later checks depend on. Every
message names the value that was wrong, what was expected, and where to look.
The reference is always minigrad itself (its ops, ``gradcheck``, its
optimizer classes), never a second copy of the math kept here.
"""
import importlib.util
import itertools
import os
import sys
import traceback
from dataclasses import dataclass

import numpy as np

_COUNTER = itertools.count()
_LEARNER_FILES = set()   # absolute paths of the files load_file imported


@dataclass
class Check:
    """One verdict: ``what`` was checked, whether it ``passed``, and words."""
    what: str
    passed: bool
    message: str = ""


class ExerciseFileError(Exception):
    """The learner's file could not be loaded (missing, or it does not run)."""


def load_file(path):
    """Import the learner's file as a fresh module (never cached)."""
    if not os.path.isfile(path):
        raise ExerciseFileError(f"there is no file {path!r}")
    _LEARNER_FILES.add(os.path.abspath(path))
    name = f"_minigrad_exercise_{next(_COUNTER)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise ExerciseFileError(
            f"Python cannot read {path}: {exc.msg} at line {exc.lineno}. "
            f"Fix that line first.") from None
    except Exception as exc:  # the learner's code: any error is reported
        raise ExerciseFileError(
            f"{path} stops with an error when it is imported: "
            f"{describe_error(exc)}") from None
    return module


def describe_error(exc):
    """``ValueError: ... (your file, line 12)``: the error and the last line of
    the learner's file in the traceback (not minigrad's internals)."""
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if os.path.abspath(frame.filename) in _LEARNER_FILES:
            where = (f" (in {os.path.basename(frame.filename)}, line "
                     f"{frame.lineno}: {(frame.line or '').strip()})")
            break
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}{where}".rstrip(": ")


def not_written(exc, what):
    """The message for a starter's ``raise NotImplementedError``."""
    return (f"not written yet: {what} still raises NotImplementedError. "
            f"Replace the `raise NotImplementedError(...)` line with your "
            f"code (the docstring above it says what to compute).")


def attribute(module, name, kind):
    """``module.name`` or a Check saying it is missing."""
    value = getattr(module, name, None)
    if value is None:
        return None, Check(f"{kind} {name} exists", False,
                           f"the file defines no {kind} called {name!r}; "
                           f"keep the name the starter file uses.")
    return value, None


def fmt(x):
    """A number or small array in a form a reader can compare by eye."""
    return np.array2string(np.asarray(x), precision=6, separator=", ",
                           suppress_small=False, threshold=8)


def tensor64(array, requires_grad=True):
    """A float64 Tensor (what gradient checks need)."""
    from ..tensor import Tensor

    return Tensor(np.asarray(array, dtype=np.float64),
                  requires_grad=requires_grad, dtype=np.float64)


def run_gradcheck(fn, inputs, what):
    """A Check for ``mg.gradcheck(fn, inputs)``, with gradcheck's own report
    when it fails (reading that report is half of the lesson)."""
    from ..gradient_check import GradcheckError, gradcheck

    try:
        gradcheck(fn, inputs)
    except GradcheckError as err:
        return Check(what, False,
                     "your backward disagrees with central differences; "
                     f"gradcheck says:\n{err}\nThe 'analytic' number is your "
                     "backward's, the 'numerical' one is the slope measured "
                     "by nudging the input.")
    except NotImplementedError as err:
        return Check(what, False, not_written(err, "backward"))
    except Exception as exc:  # the learner's backward: report any error
        return Check(what, False, f"backward raised {describe_error(exc)}")
    return Check(what, True)


# ------------------------------------------------------------ new-op exercises
def _forward_matches(fn, x, expected, what):
    try:
        out = fn(tensor64(x, requires_grad=False))
    except NotImplementedError as err:
        return Check(what, False, not_written(err, "forward"))
    except Exception as exc:
        return Check(what, False, f"forward raised {describe_error(exc)}")
    got = np.asarray(getattr(out, "data", out))
    if got.shape != expected.shape or not np.allclose(got, expected,
                                                      rtol=1e-12, atol=1e-12):
        return Check(what, False,
                     f"for x = {fmt(x)} the forward gives {fmt(got)}, but it "
                     f"should give {fmt(expected)}. The starter's forward was "
                     f"right: undo your changes to it.")
    return Check(what, True)


def _finite_gradient(fn, x, expected, what):
    t = tensor64(x)
    try:
        fn(t).sum().backward()
    except Exception as exc:
        return Check(what, False, f"backward raised {describe_error(exc)}")
    g = t.grad
    if g is None or not np.all(np.isfinite(g)):
        return Check(what, False,
                     f"for x = {fmt(x)} your gradient is {fmt(g)}: not finite. "
                     f"exp of a large number overflows to inf; rewrite the "
                     f"derivative so that every exp(...) gets a number <= 0.")
    if not np.allclose(g, expected, rtol=1e-9, atol=1e-12):
        return Check(what, False,
                     f"for x = {fmt(x)} your gradient is {fmt(g)}, expected "
                     f"{fmt(expected)}.")
    return Check(what, True)


def grade_softplus(module):
    """softplus(x) = log(1 + e^x); its derivative is sigmoid(x)."""
    fn, missing = attribute(module, "softplus", "function")
    if missing:
        yield missing
        return
    x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    check = _forward_matches(fn, x, np.logaddexp(0.0, x),
                             "forward computes log(1 + e^x)")
    yield check
    if not check.passed:
        return
    rng = np.random.default_rng(0)
    check = run_gradcheck(fn, [tensor64(rng.normal(scale=3, size=(3, 4)))],
                          "backward matches central differences (gradcheck)")
    yield check
    if not check.passed:
        return
    yield run_gradcheck(lambda a, b: fn(a * b + 1.0).sum(axis=0),
                        [tensor64(rng.normal(size=(3, 4))),
                         tensor64(rng.normal(size=4))],
                        "inside a bigger expression (broadcasting, sum)")
    big = np.array([-800.0, -40.0, 40.0, 800.0])
    yield _finite_gradient(fn, big, 0.5 * (1 + np.tanh(big / 2)),
                           "large |x| gives a finite, exact gradient")


def grade_logsumexp(module):
    """logsumexp(x, axis) = log(sum(exp(x))) along an axis; its derivative
    is softmax(x) along that axis."""
    from ..nn import functional as F

    fn, missing = attribute(module, "logsumexp", "function")
    if missing:
        yield missing
        return
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
    for axis in (-1, 0):
        expected = F.logsumexp(tensor64(x, False), axis=axis).data
        check = _forward_matches(lambda t: fn(t, axis=axis), x, expected,
                                 f"forward along axis={axis}")
        yield check
        if not check.passed:
            return
    rng = np.random.default_rng(1)
    for shape, axis in (((5,), -1), ((3, 4), -1), ((3, 4), 0),
                        ((2, 3, 4), 1)):
        check = run_gradcheck(lambda t: fn(t, axis=axis),
                              [tensor64(rng.normal(size=shape))],
                              f"gradcheck for shape {shape}, axis={axis}")
        if not check.passed and "shape" in check.message:
            check.message += (
                "\nHint: the output has one axis fewer than x; put it back "
                "with np.expand_dims(gy, axis) so that it broadcasts "
                "against softmax(x).")
        yield check
        if not check.passed:
            return
    big = np.array([[1000.0, 999.0, -1000.0]])
    soft = np.exp(big - big.max()) / np.exp(big - big.max()).sum()
    yield _finite_gradient(lambda t: fn(t, axis=-1), big, soft,
                           "large inputs give a finite, exact gradient")
