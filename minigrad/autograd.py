"""Reverse-mode autodiff: the Function base class, the backward pass, grad modes
and anomaly detection.

An op is a ``Function`` subclass with ``forward`` (ndarrays in, one ndarray
out) and ``backward`` (dL/d(output) in, one dL/d(input) per input out) side by
side. Calling an instance on Tensors runs ``forward`` and, when any input
requires grad, records the call in the graph: the output's ``creator`` is the
Function and the Function keeps its ``inputs``.

``run_backward`` (what ``Tensor.backward`` calls) orders the Functions so each
runs only after every consumer of its output has handed back its gradient
(reverse topological order, computed with an explicit stack so a 10^5-op chain
cannot hit Python's recursion limit), then applies the chain rule once per op.

One backward, two modes. A built-in op's ``backward`` reads its values as
``self.args`` (the inputs) and ``self.out`` (the output) and uses only
operators, methods and helpers that NumPy arrays and Tensors share. In the
default first-order mode these are the forward's arrays and ``gy`` is an
array: plain NumPy, no graph. With ``create_graph=True`` the engine hands
the same code Tensors instead (``_record_args``), so the backward's own
arithmetic is recorded and can be differentiated again.
"""
import os
import sys
import threading
import weakref

import numpy as np

from .tensor import Tensor, _inplace_writes



class _GradState(threading.local):
    """Whether ops record a graph, per thread (as in PyTorch): a ``no_grad``
    block in a validation thread must not stop recording in the training
    thread. Every new thread starts with recording on."""

    enabled = True


_grad_state = _GradState()
# How many threads have recording switched off right now. While none has
# (the common case), an op need not read the thread-local flag (which is
# several times slower than a global).
_threads_without_grad = 0
_mode_lock = threading.Lock()
_anomaly_enabled = False
_new = object.__new__
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class AnomalyError(RuntimeError):
    """Raised under ``detect_anomaly`` by the first op that makes a NaN or Inf.

    Attributes: ``op`` (its label), ``created_at`` ("file:line" of the user's
    code that called it), ``phase`` ("forward" or "backward").
    """

    def __init__(self, message, op=None, created_at=None, phase=None):
        super().__init__(message)
        self.op = op
        self.created_at = created_at
        self.phase = phase


class Function:
    """One differentiable op: ``forward`` and ``backward`` on raw ndarrays.

    Subclasses set ``label`` (a short op name used in drawings and errors)
    and may store in ``self`` whatever ``backward`` needs (freed after
    backward unless ``retain_graph``). ``backward`` returns one gradient per
    input (a tuple, or a bare array for one input); None means "no gradient"
    (e.g. for an input that does not require grad).

    A recorded call keeps ``inputs`` (the Tensors), ``args`` (their arrays,
    as forward saw them) and ``out`` (forward's result). A backward that
    reads only ``args``, ``out`` and ``gy`` with operations Tensors also
    have can set ``differentiable_backward = True``: it then also serves
    ``create_graph=True`` (see the module docstring).
    """

    label = "function"
    created_at = None  # "file:line", filled in under detect_anomaly
    inputs = ()
    freed = False
    # True when backward reads only self.args/self.out/gy through operations
    # Tensors also have, so the engine may run it on Tensors (create_graph).
    # A backward that reads ``.data`` would silently drop second-order terms.
    differentiable_backward = False
    retained_output = None  # weak reference set by Tensor.retain_grad
    # backward reads the inputs' values, so it must see them unchanged (the
    # ops whose backward needs only shapes set this to False)
    saves_inputs = True
    is_view = False  # the output shares its input's data (and version counter)
    # backward checks each gradient's shape against its input's and names the
    # op on a mismatch; built-in ops (tested) are checked at the leaves only
    trusted_shapes = False

    def __call__(self, *inputs):
        # the hot path of every op: one- and two-input ops spelled out
        n = len(inputs)
        if n == 2:
            a, b = inputs
            args = (a.data, b.data)  # a tuple of arrays: the GC stops tracking it
            record = a.requires_grad or b.requires_grad
        elif n == 1:
            a = inputs[0]
            args = (a.data,)
            record = a.requires_grad
        else:
            args = tuple([t.data for t in inputs])
            record = False
            for t in inputs:
                if t.requires_grad:
                    record = True
                    break
        try:
            y = self.forward(*args)
        except (ValueError, TypeError, IndexError) as err:
            raise _op_error(self, inputs, err) from None
        if type(y) is not np.ndarray:  # NumPy returns scalars for 0-d results
            y = np.asarray(y)
        # Tensor._wrap(y), inlined
        out = _new(Tensor)
        out.data = y
        out.grad = out.grad_tensor = out.name = None
        out._version_counter = None
        if self.is_view:
            out._version_counter = inputs[0].shared_version_counter()
        if record and (not _threads_without_grad or _grad_state.enabled):
            self.inputs, self.args, self.out = inputs, args, y
            self.writes_seen = _inplace_writes[0]  # for backward's check
            out.requires_grad = True
            out.creator = self
        else:
            out.requires_grad = False
            out.creator = None
        if _anomaly_enabled:
            self.created_at = _user_location()
            _check_forward(self, inputs, y)
        return out

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, gy):
        raise NotImplementedError

    def retain_output_grad(self, output):
        """Ask backward to store the gradient of ``output`` in ``output.grad``."""
        self.retained_output = weakref.ref(output)  # weak: output owns us

    def release(self):
        """Drop what forward saved for backward; keep inputs/label for drawing."""
        kept = {"inputs": self.inputs, "freed": True}
        if self.created_at is not None:
            kept["created_at"] = self.created_at
        self.__dict__ = kept  # a new dict: cheaper than clearing the old one

    def __repr__(self):
        return f"<{self.label}>"


def _op_error(fn, inputs, err):
    """NumPy's error from inside an op's forward, restated to name the op and
    its input shapes (raised from minigrad, same kind: Value/Type/IndexError)."""
    shapes = ", ".join(str(t.data.shape) for t in inputs)
    kind = next(k for k in (ValueError, IndexError, TypeError) if isinstance(err, k))
    return kind(f"{fn.label} on shapes {shapes}: {err}")


# ---- grad modes ---------------------------------------------------------
class _GradMode:
    """Context manager and decorator (``@no_grad()`` or ``@no_grad``) that sets
    whether ops build a graph."""

    enabled = True

    def __new__(cls, fn=None):
        if fn is not None:  # used as a bare decorator: @no_grad
            return cls()(fn)
        return super().__new__(cls)

    def __enter__(self):
        self._previous = _grad_state.enabled
        _set_grad_enabled(self.enabled)

    def __exit__(self, *exc):
        _set_grad_enabled(self._previous)

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = getattr(fn, "__doc__", None)
        return wrapper


class no_grad(_GradMode):
    """``with no_grad():`` ops record no graph (evaluation, optimizer steps)."""

    enabled = False


class enable_grad(_GradMode):
    """``with enable_grad():`` ops record a graph again, even inside no_grad."""

    enabled = True


def _set_grad_enabled(enabled):
    global _threads_without_grad
    with _mode_lock:
        if _grad_state.enabled != enabled:
            _threads_without_grad += -1 if enabled else 1
        _grad_state.enabled = enabled


def is_grad_enabled():
    """True when ops record the graph in this thread (the default)."""
    return _grad_state.enabled


# ---- anomaly detection --------------------------------------------------
class detect_anomaly:
    """``with detect_anomaly():`` the first NaN/Inf an op makes raises.

    Every op created inside records where the user's code called it, and
    raises ``AnomalyError`` when its forward output, or in backward a
    gradient it hands to its inputs, holds NaN or Inf. The message names the
    op, that place and the shapes. It costs a check per op, so use it to
    hunt a NaN, not for every run (like ``torch.autograd.detect_anomaly``).
    """

    def __enter__(self):
        global _anomaly_enabled
        self._previous = _anomaly_enabled
        _anomaly_enabled = True
        return self

    def __exit__(self, *exc):
        global _anomaly_enabled
        _anomaly_enabled = self._previous


def _user_location():
    """'file:line' of the innermost caller outside the minigrad package."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _describe_bad(array):
    n_nan = int(np.isnan(array).sum())
    n_inf = int(np.isinf(array).sum())
    return f"{n_nan} NaN and {n_inf} Inf among {array.size} values"


def _check_forward(fn, inputs, y):
    if y.dtype.kind != "f" or np.isfinite(y).all():
        return
    shapes = ", ".join(str(t.shape) for t in inputs)
    raise AnomalyError(
        f"op '{fn.label}' created at {fn.created_at} produced a non-finite "
        f"forward output: {_describe_bad(y)} (input shapes {shapes}; output "
        f"shape {y.shape})",
        op=fn.label,
        created_at=fn.created_at,
        phase="forward",
    )


def _check_backward(fn, gy, gxs):
    for i, (t, gx) in enumerate(zip(fn.inputs, gxs)):
        gx = gx.data if isinstance(gx, Tensor) else gx  # create_graph mode
        if gx is None or np.isfinite(gx).all():
            continue
        where = fn.created_at or "<unknown: created outside detect_anomaly>"
        raise AnomalyError(
            f"backward of op '{fn.label}' created at {where} produced a "
            f"non-finite gradient for its input {i} (shape {t.shape}): "
            f"{_describe_bad(np.asarray(gx))}; the incoming gradient (shape "
            f"{np.shape(gy)}) was finite",
            op=fn.label,
            created_at=fn.created_at,
            phase="backward",
        )
