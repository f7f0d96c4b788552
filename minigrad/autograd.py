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
"""
import os
import sys
import threading
import weakref

import numpy as np

from .tensor import Tensor



class _GradState(threading.local):
    """Whether ops record a graph, per thread (as in PyTorch): a ``no_grad``
    block in a validation thread must not stop recording in the training
    thread. Every new thread starts with recording on."""

    enabled = True


_grad_state = _GradState()
_anomaly_enabled = False
_new_tensor = object.__new__
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
    """

    label = "function"
    created_at = None  # "file:line", filled in under detect_anomaly
    inputs = ()
    freed = False
    retained_output = None  # weak reference set by Tensor.retain_grad
    # backward reads the inputs' values, so it must see them unchanged (the
    # ops whose backward needs only shapes set this to False)
    saves_inputs = True
    is_view = False  # the output shares its input's data (and version counter)

    def __call__(self, *inputs):
        try:
            y = self.forward(*[t.data for t in inputs])
        except (ValueError, TypeError, IndexError) as err:
            raise _op_error(self, inputs, err) from None
        if type(y) is not np.ndarray:  # NumPy returns scalars for 0-d results
            y = np.asarray(y)
        out = _new_tensor(Tensor)  # Tensor._wrap(y), inlined: this is the hot path
        out.data = y
        out.grad = out.creator = out.name = None
        out.requires_grad = False
        out._version_counter = inputs[0]._version_counter if self.is_view else [0]
        if _grad_state.enabled:
            for t in inputs:
                if t.requires_grad:
                    self.inputs = inputs
                    if self.saves_inputs:
                        self.versions = [t._version_counter[0] for t in inputs]
                    out.requires_grad = True
                    out.creator = self
                    break
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
        saved = vars(self)
        inputs, created_at = self.inputs, self.created_at
        saved.clear()
        self.inputs = inputs
        if created_at is not None:
            self.created_at = created_at
        self.freed = True

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
        _grad_state.enabled = self.enabled

    def __exit__(self, *exc):
        _grad_state.enabled = self._previous

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


# ---- the backward pass --------------------------------------------------
def _topological_order(root_fn):
    """Functions reachable from ``root_fn``, each before the ones it consumes.

    Depth-first search with an explicit stack (no recursion): a Function is
    appended after everything it depends on, so reversing the list puts each
    Function before its inputs' creators.
    """
    order, seen = [], set()
    stack = [(root_fn, False)]
    while stack:
        fn, children_done = stack.pop()
        if children_done:
            order.append(fn)
            continue
        if fn in seen:
            continue
        if fn.freed:
            raise RuntimeError(
                f"trying to backward through the graph a second time (op "
                f"'{fn.label}' was freed by the first backward). Pass "
                f"retain_graph=True to the first backward() to do this."
            )
        seen.add(fn)
        stack.append((fn, True))
        for t in fn.inputs:
            creator = t.creator
            if creator is not None and creator not in seen:
                stack.append((creator, False))
    order.reverse()
    return order


def _root_grad(root, grad):
    """Check the ``grad`` passed to backward (or make the implicit 1)."""
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() on a tensor of shape {root.shape} needs "
                f"grad=<array of shape {root.shape}> (dL/d(this tensor)); grad "
                f"may be omitted only for a single-element tensor such as a loss"
            )
        return np.ones_like(root.data)
    if isinstance(grad, Tensor):
        grad = grad.data
    grad = np.asarray(grad)
    if grad.dtype.kind not in "fiub":
        raise TypeError(f"grad must hold numbers, got dtype {grad.dtype}")
    if grad.shape != root.shape:
        raise ValueError(
            f"grad has shape {grad.shape} but the tensor has shape {root.shape}; "
            f"they must match"
        )
    return grad.astype(root.data.dtype, copy=False)


def _check_grad(fn, t, gx):
    """``gx`` as an ndarray of ``t``'s shape, or an error naming the op class
    whose backward got it wrong (often a user's own Function)."""
    gx = np.asarray(gx)
    if gx.shape != t.data.shape:
        i = next(i for i, u in enumerate(fn.inputs) if u is t)
        raise RuntimeError(
            f"{type(fn).__name__}.backward (op '{fn.label}') returned a "
            f"gradient of shape {gx.shape} for its input {i}, which has shape "
            f"{t.data.shape}; expected a gradient of shape {t.data.shape}"
        )
    return gx


def _check_versions(fn):
    """Refuse to run ``fn.backward`` on inputs written in place since the
    forward (an optimizer step between two backward calls): it would
    silently differentiate at the new values."""
    for i, (t, saved) in enumerate(zip(fn.inputs, fn.versions)):
        if t._version_counter[0] != saved:
            name = f"'{t.name}', " if t.name else ""
            raise RuntimeError(
                f"a tensor op '{fn.label}' ({type(fn).__name__}) needs for its "
                f"gradient was modified by an inplace operation: its input {i} "
                f"({name}shape {t.data.shape}) is at version {t._version}, but "
                f"was at version {saved} when the op ran. Run the forward "
                f"again after changing it (e.g. after opt.step())."
            )


def _check_count(fn, gxs):
    if len(gxs) != len(fn.inputs):
        raise RuntimeError(
            f"{type(fn).__name__}.backward (op '{fn.label}') returned "
            f"{len(gxs)} gradients for {len(fn.inputs)} inputs; expected one "
            f"per input (None for an input without gradient)"
        )


def _store_leaf_grads(leaf_grads):
    for leaf, g in leaf_grads.items():
        if leaf.grad is None:
            # a fresh C-ordered array owned by the leaf (g may be shared, or a
            # transposed view: Linear's weight gradient is (x.T @ gy).T)
            leaf.grad = np.array(g, dtype=leaf.data.dtype, order="C")
        else:
            # in place, so a grad array held elsewhere keeps its identity
            leaf.grad += g


def run_backward(root, grad=None, retain_graph=False):
    """Accumulate d(root)/d(leaf) * grad into every leaf's ``.grad``."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward() called on a tensor that does not require grad: it was "
            "not computed from a tensor with requires_grad=True, or it was "
            "computed under no_grad()"
        )
    grad = _root_grad(root, grad)
    if _anomaly_enabled and grad.dtype.kind == "f" and not np.isfinite(grad).all():
        raise AnomalyError(
            f"the gradient passed to backward() is not finite: {_describe_bad(grad)}",
            phase="backward",
        )
    root_fn = root.creator
    if root_fn is None:  # backward on a leaf: d(leaf)/d(leaf) = 1
        _store_leaf_grads({root: grad})
        return
    order = _topological_order(root_fn)
    grads = {root_fn: grad}  # Function -> dL/d(its output), summed over uses
    leaf_grads = {}  # leaf -> dL/d(leaf); stored only once all ops succeeded
    for fn in order:
        gy = grads.pop(fn, None)
        if gy is None:
            continue
        if fn.retained_output is not None:
            retained = fn.retained_output()
            if retained is not None:
                leaf_grads[retained] = gy  # stored like a leaf's grad
        if fn.saves_inputs:
            _check_versions(fn)
        gxs = fn.backward(gy)
        if type(gxs) is not tuple:
            gxs = (gxs,)
        if len(gxs) != len(fn.inputs):
            _check_count(fn, gxs)
        if _anomaly_enabled:
            _check_backward(fn, gy, gxs)
        for t, gx in zip(fn.inputs, gxs):
            if gx is None or not t.requires_grad:
                continue
            if type(gx) is not np.ndarray or gx.shape != t.data.shape:
                gx = _check_grad(fn, t, gx)
            creator = t.creator
            if creator is None:
                previous = leaf_grads.get(t)
                leaf_grads[t] = gx if previous is None else previous + gx
            else:
                previous = grads.get(creator)
                # out of place: gx may be the very array another op returned
                grads[creator] = gx if previous is None else previous + gx
    # nothing is written or freed before every op's backward has succeeded, so
    # an error (e.g. an AnomalyError) leaves the leaves and the graph as they were
    _store_leaf_grads(leaf_grads)
    if not retain_graph:
        for fn in order:
            fn.release()
