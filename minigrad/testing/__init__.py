"""Gradient-check unit tests for any code, at any size.

* ``gradcheck(fn, inputs, ...)`` / ``gradcheck_module(module, inputs, ...)``
  (also ``mg.gradcheck``): code built from minigrad ops, checked element by
  element, at ``samples=k`` random elements, or along random unit
  directions with ``fast=True`` (2 evaluations per direction whatever the
  size); kinks (ReLU at 0) are recognised and skipped unless
  ``kinks="fail"``.
* ``check_backward(forward, backward, inputs, ...)``: hand-written NumPy
  backprop, no autograd involved; same modes, same report.
* ``assert_gradcheck``, ``assert_gradcheck_module``, ``assert_backward``:
  for pytest; raise ``GradcheckError`` (an ``AssertionError``) whose
  message is the report, and return the ``GradcheckReport`` when the check
  passes.
* ``minigrad.testing.strategies``: hypothesis strategies for shapes,
  broadcastable shape pairs, bounded float64 arrays and Tensors, and index
  expressions (imported on its own: it needs ``hypothesis``).

docs/testing.md shows each mode and says when to use which.
"""
from ._gradcheck import (DEFAULT_DIRECTIONS, gradcheck, gradcheck_module,
                         gradcheck_module_report, gradcheck_report,
                         numerical_grad)
from ._numpy import backward_report, check_backward
from ._report import GradcheckError, GradcheckReport

__all__ = ["gradcheck", "gradcheck_module", "numerical_grad", "check_backward",
           "assert_gradcheck", "assert_gradcheck_module", "assert_backward",
           "gradcheck_report", "gradcheck_module_report", "backward_report",
           "GradcheckError", "GradcheckReport", "DEFAULT_DIRECTIONS"]


def _passed_or_raise(report):
    if not report.passed:
        raise report.error()
    return report


def assert_gradcheck(fn, inputs, **options):
    """``gradcheck`` for a test: returns the ``GradcheckReport`` when the
    check passes, raises ``GradcheckError`` (an ``AssertionError`` whose
    message is the report) when it does not. ``options`` are gradcheck's
    (``eps``, ``atol``, ``rtol``, ``seed``, ``fast``, ``samples``,
    ``directions``, ``kinks``, ``dtype_policy``)."""
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    return _passed_or_raise(gradcheck_report(fn, inputs, **options))


def assert_gradcheck_module(module, inputs, loss_fn=None, **options):
    """``gradcheck_module`` for a test; see ``assert_gradcheck``."""
    __tracebackhide__ = True
    return _passed_or_raise(gradcheck_module_report(module, inputs, loss_fn,
                                                    **options))


def assert_backward(forward, backward, inputs, names=None, **options):
    """``check_backward`` for a test; see ``assert_gradcheck``."""
    __tracebackhide__ = True
    return _passed_or_raise(backward_report(forward, backward, inputs, names,
                                            **options))
