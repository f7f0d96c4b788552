"""Graders for the two debugging exercises.

``planted_bug``: the learner's file holds an op (``Lerp``) whose backward has
one planted mistake; they run gradcheck, read which input its report names,
write it down as ``WRONG_INPUT`` and fix the backward.

``gradcheck_test``: the learner writes ``test_*`` functions for a small module
(``Swish``, x * sigmoid(beta * x) with a learnable beta). The checker runs
them against the correct module, which they must pass, and against broken
versions of it, each of which some test must fail: a test that cannot fail
catches nothing. The module and its broken versions are kept here, apart from
the learner's file, so that editing the file cannot change the verdict.
"""
import numpy as np

from ..autograd import Function
from ..nn import Module, Parameter
from ..ops_math import sum_to
from ._grading import Check, attribute, describe_error, not_written, \
    run_gradcheck, tensor64


# ---------------------------------------------------------------- planted bug
def grade_planted_bug(module):
    """Lerp(a, b, w) = a + w (b - a): name the input with the wrong gradient
    (as gradcheck's report does), then fix its backward."""
    fn, missing = attribute(module, "lerp", "function")
    if missing:
        yield missing
        return
    answer = getattr(module, "WRONG_INPUT", None)
    names = {"a": "a", "b": "b", "w": "w", 0: "a", 1: "b", 2: "w",
             "input 0": "a", "input 1": "b", "input 2": "w"}
    said = names.get(answer.strip().lower() if isinstance(answer, str)
                     else answer)
    what = "WRONG_INPUT names the input whose gradient was wrong"
    if said is None:
        yield Check(what, False,
                    "WRONG_INPUT is still " + repr(answer) + ". First run the "
                    "file as it came (python planted_bug.py): gradcheck's "
                    "report has a line 'input N ('name'): worst element ...' "
                    "for each input whose gradient is wrong. Set WRONG_INPUT "
                    "to that name: \"a\", \"b\" or \"w\".")
        return
    if said != "w":
        yield Check(what, False,
                    f"WRONG_INPUT = {answer!r}, but gradcheck's report does "
                    f"not name {said!r}: read its 'input N (...)' line "
                    f"again. (Tip: compare the analytic and numerical "
                    f"values there: what do you notice about their signs?)")
        return
    yield Check(what, True)
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    w = rng.uniform(size=4)
    try:
        out = fn(*(tensor64(v, False) for v in (a, b, w))).data
        ok = np.allclose(out, a + w * (b - a), rtol=1e-12, atol=1e-12)
    except Exception as exc:
        yield Check("forward unchanged", False,
                    f"forward raised {describe_error(exc)}")
        return
    yield Check("forward unchanged", ok,
                "" if ok else "the forward no longer computes a + w*(b - a): "
                "the bug is in backward only; undo your changes to forward.")
    if not ok:
        return
    for shape_w in ((4,), (3, 4), ()):
        w = rng.uniform(size=shape_w)
        check = run_gradcheck(fn, [tensor64(a, True), tensor64(b, True),
                                   tensor64(w, True)],
                              f"gradcheck passes with w of shape {shape_w}")
        yield check
        if not check.passed:
            return


# ----------------------------------------------------------- gradcheck test
class SwishFn(Function):
    """y = x * s with s = sigmoid(beta x);  dy/dx = s + beta x s (1 - s),
    dy/dbeta = x^2 s (1 - s)."""

    label = "swish"

    def forward(self, x, beta):
        self.s = 1.0 / (1.0 + np.exp(-beta * x))
        return x * self.s

    def local(self):
        """(x, beta, s, s (1 - s)) for the backward formulas."""
        x, beta = (t.data for t in self.inputs)
        return x, beta, self.s, self.s * (1.0 - self.s)

    def backward(self, gy):
        x, beta, s, ds = self.local()
        gx = gy * (s + beta * x * ds)
        return gx, sum_to(gy * x * x * ds, beta.shape)


class _NoFactorX(SwishFn):
    def backward(self, gy):
        x, beta, s, ds = self.local()
        return gy * (s + beta * x * ds), sum_to(gy * x * ds, beta.shape)


class _WrongBelowZero(SwishFn):
    def backward(self, gy):
        x, beta, s, ds = self.local()
        gx = gy * np.where(x > 0, s + beta * x * ds, s)
        return gx, sum_to(gy * x * x * ds, beta.shape)


class _IgnoresGy(SwishFn):
    def backward(self, gy):
        x, beta, s, ds = self.local()
        gx = (s + beta * x * ds) * np.ones_like(gy)
        return gx, sum_to(gy * x * x * ds, beta.shape)


def swish_module(fn_class):
    """The Swish module built on ``fn_class`` (the right op or a broken one)."""

    class Swish(Module):
        """x * sigmoid(beta * x), one learnable beta per feature."""

        def __init__(self, features):
            super().__init__()
            self.beta = Parameter(np.ones(features))

        def forward(self, x):
            return fn_class()(x, self.beta)

    return Swish


BROKEN = [
    (_NoFactorX, "the gradient of beta misses its factor x",
     "check the parameter too: mg.gradcheck_module(module, x) checks every "
     "parameter (or pass beta to mg.gradcheck as an input)"),
    (_WrongBelowZero, "the gradient of x is wrong where x < 0",
     "test inputs of both signs, e.g. rng.normal(size=...), not rng.uniform"),
    (_IgnoresGy, "backward ignores the incoming gradient gy",
     "weight the outputs by a random cotangent: mg.gradcheck does that for "
     "you; a loss of .sum() weights every output by 1 and hides this bug"),
]


def _run_tests(module, tests, fn_class):
    """None if every test passes with ``fn_class`` patched in, else the first
    error."""
    saved = {k: getattr(module, k, None) for k in ("Swish", "SwishFn")}
    module.Swish, module.SwishFn = swish_module(fn_class), fn_class
    try:
        for test in tests:
            test()
    except Exception as exc:  # a failing test is any error
        return exc
    finally:
        for k, v in saved.items():
            setattr(module, k, v)
    return None


def grade_gradcheck_test(module):
    """Your test_* functions must pass on Swish and fail on broken versions."""
    tests = [v for k, v in sorted(vars(module).items())
             if k.startswith("test") and callable(v)]
    if not tests:
        yield Check("the file has a test", False,
                    "no function whose name starts with 'test' (pytest's "
                    "rule) was found: write one, e.g. test_swish_gradients.")
        return
    error = _run_tests(module, tests, SwishFn)
    if isinstance(error, NotImplementedError):
        yield Check("passes on the correct module", False,
                    not_written(error, "your test"))
        return
    yield Check("passes on the correct module", error is None,
                "" if error is None else
                f"your test fails on the correct Swish: "
                f"{describe_error(error)}. A unit test must pass when the "
                f"code is right.")
    if error is not None:
        return
    for fn_class, bug, hint in BROKEN:
        caught = _run_tests(module, tests, fn_class) is not None
        yield Check(f"catches a planted bug: {bug}", caught,
                    "" if caught else f"your tests pass on a Swish where "
                    f"{bug}. Hint: {hint}.")
